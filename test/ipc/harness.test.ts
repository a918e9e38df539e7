// The harness's HTTP and WebSocket bridge, over a real socket (the browser flows are in test/e2e).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import http from 'node:http';
import WebSocket from 'ws';
import { startHarness, injectBridge, HARNESS_BRIDGE_PATH, type Harness } from '../../src/main/ipc/harness-server';
import { CONTENT_SECURITY_POLICY } from '../../src/main/app/security';
import type { EventMessage } from '../../src/shared/ipc';
import os from 'node:os';
import { photoFolder } from './helpers';

let harness: Harness;
let dir: string;

before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'orelab-harness-'));
  const renderer = path.join(dir, 'renderer');
  fs.mkdirSync(renderer);
  fs.writeFileSync(
    path.join(renderer, 'index.html'),
    '<!doctype html><html><head><meta charset="utf-8"><script type="module" src="/assets/app.js"></script></head><body></body></html>',
  );
  fs.writeFileSync(path.join(dir, 'bridge.js'), 'window.orelab = {};');
  harness = await startHarness({ dbPath: path.join(dir, 'new.sqlite'), port: 0, rendererDir: renderer, bridgeFile: path.join(dir, 'bridge.js'), version: '9.9.9' });
});
after(async () => {
  await harness.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** A raw request, so that Host and Origin can be set as an attacker would. */
function request(
  method: string,
  urlPath: string,
  options: { body?: string; headers?: Record<string, string> } = {},
): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port: harness.port, method, path: urlPath, headers: options.headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

const json = { 'Content-Type': 'application/json' };

test('the harness creates the catalogue it is given and answers requests with result envelopes', async () => {
  assert.ok(fs.existsSync(path.join(dir, 'new.sqlite')));
  const r = await request('POST', '/ipc/app.info', { body: '{}', headers: json });
  assert.equal(r.status, 200);
  assert.deepEqual(JSON.parse(r.body), { ok: true, value: { version: '9.9.9', shell: 'harness', capabilities: { nativeDialogs: false } } });
  const bad = JSON.parse((await request('POST', '/ipc/classes.add', { body: '{"name": 5}', headers: json })).body) as { ok: boolean; error: { message: string } };
  assert.equal(bad.ok, false);
  assert.match(bad.error.message, /name: Invalid input: expected string/);
  assert.equal((await request('POST', '/ipc/classes.add', { body: '{not json', headers: json })).status, 400);
});

test('index.html carries the CSP and loads the bridge before the app', async () => {
  const r = await request('GET', '/');
  assert.equal(r.status, 200);
  assert.equal(r.headers['content-security-policy'], CONTENT_SECURITY_POLICY);
  const bridgeAt = r.body.indexOf(HARNESS_BRIDGE_PATH);
  assert.ok(bridgeAt > 0 && bridgeAt < r.body.indexOf('/assets/app.js'));
  const bridge = await request('GET', HARNESS_BRIDGE_PATH);
  assert.equal(bridge.body, 'window.orelab = {};');
  assert.equal(bridge.headers['content-security-policy'], CONTENT_SECURITY_POLICY);
  assert.equal(injectBridge('<head></head>'), `<head><script type="module" src="${HARNESS_BRIDGE_PATH}"></script></head>`);
});

test('requests from other sites or other host names are refused', async () => {
  // A form post from another page (no preflight): wrong content type.
  assert.equal((await request('POST', '/ipc/classes.add', { body: '{"name":"x"}', headers: { 'Content-Type': 'text/plain' } })).status, 403);
  assert.equal((await request('POST', '/ipc/classes.add', { body: '{"name":"x"}', headers: { ...json, Origin: 'https://evil.example' } })).status, 403);
  // DNS rebinding: a foreign host name pointing at 127.0.0.1.
  assert.equal((await request('GET', '/', { headers: { Host: `evil.example:${harness.port}` } })).status, 403);
  assert.equal((await request('GET', '/ipc/app.info')).status, 405);
  const classes = JSON.parse((await request('POST', '/ipc/classes.list', { body: '{}', headers: json })).body) as { value: { classes: unknown[] } };
  assert.deepEqual(classes.value.classes, []);
});

test('images over HTTP follow the same rule: catalogue files only', async () => {
  const key = (harness.core.session.info()!).key;
  assert.equal((await request('GET', `/orelab-image/file?path=${encodeURIComponent('/etc/passwd')}&c=${key}`)).status, 403);
  assert.equal((await request('GET', `/orelab-image/thumb/1?c=${key}`)).status, 404);
  // Dot segments are resolved by URL parsing first: this is the app's /etc/passwd route, i.e. index.html.
  assert.ok(!(await request('GET', `/orelab-image/../../etc/passwd`)).body.includes('root:'));
});

test('events reach WebSocket clients; foreign origins cannot subscribe', async () => {
  const foreign = new WebSocket(`ws://127.0.0.1:${harness.port}/events`, { headers: { Origin: 'https://evil.example' } });
  const refused = await new Promise<boolean>((resolve) => {
    foreign.on('open', () => resolve(false));
    foreign.on('error', () => resolve(true));
  });
  assert.equal(refused, true);

  const ws = new WebSocket(`ws://127.0.0.1:${harness.port}/events`, { headers: { Origin: `http://127.0.0.1:${harness.port}` } });
  await new Promise((resolve, reject) => {
    ws.on('open', resolve);
    ws.on('error', reject);
  });
  const messages: EventMessage[] = [];
  const finished = new Promise<EventMessage>((resolve) =>
    ws.on('message', (data: WebSocket.RawData) => {
      const m = JSON.parse(String(data)) as EventMessage;
      messages.push(m);
      if (m.event === 'job.finished') resolve(m);
    }),
  );
  const folder = photoFolder(dir, { malachite: 2 });
  const started = JSON.parse(
    (await request('POST', '/ipc/jobs.start', { body: JSON.stringify({ kind: 'import', params: { folder, labelsFromFolders: true } }), headers: json })).body,
  ) as { ok: boolean };
  assert.equal(started.ok, true);
  const done = await finished;
  assert.equal(done.event === 'job.finished' && done.payload.kind === 'import' && done.payload.result?.new, 2);
  assert.ok(messages.some((m) => m.event === 'job.progress'));
  ws.close();
});
