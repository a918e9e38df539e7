// The harness's HTTP and WebSocket bridge, over a real socket (the browser flows are in test/e2e).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import http from 'node:http';
import WebSocket from 'ws';
import { startHarness, injectBridge, HARNESS_BRIDGE_PATH, HARNESS_TOKEN_HEADER, type Harness } from '../../src/main/harness/server';
import { CONTENT_SECURITY_POLICY } from '../../src/main/app/security';
import type { EventMessage } from '../../src/shared/ipc';
import os from 'node:os';
import { photoFolder } from './helpers';
import { makeTinyClassifier } from '../helpers/model';

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

/**
 * A raw request, so that Host, Origin and the token can be set as an attacker would. It carries the harness
 * token in its header unless `token` says otherwise (null: none at all).
 */
function request(
  method: string,
  urlPath: string,
  options: { body?: string; headers?: Record<string, string>; token?: string | null } = {},
): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  const token = options.token === undefined ? harness.token : options.token;
  const headers = { ...(token === null ? {} : { [HARNESS_TOKEN_HEADER]: token }), ...options.headers };
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port: harness.port, method, path: urlPath, headers }, (res) => {
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
  // A malformed channel name is a bad request, not an internal error.
  assert.equal((await request('POST', '/ipc/%E0', { body: '{}', headers: json })).status, 400);
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
  const foreign = new WebSocket(`ws://127.0.0.1:${harness.port}/events`, { headers: { Origin: 'https://evil.example', [HARNESS_TOKEN_HEADER]: harness.token } });
  const refused = await new Promise<boolean>((resolve) => {
    foreign.on('open', () => resolve(false));
    foreign.on('error', () => resolve(true));
  });
  assert.equal(refused, true);

  const ws = new WebSocket(`ws://127.0.0.1:${harness.port}/events`, { headers: { Origin: `http://127.0.0.1:${harness.port}`, [HARNESS_TOKEN_HEADER]: harness.token } });
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

/** How the harness answers a WebSocket upgrade: the HTTP status of a refusal, or 101 when the socket opened. */
function upgradeStatus(headers: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${harness.port}/events`, { headers });
    ws.on('open', () => {
      ws.close();
      resolve(101);
    });
    ws.on('unexpected-response', (_req, res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    ws.on('error', reject);
  });
}

test('without the token every route is refused: the app, its files, the RPC endpoint, images, the event socket', async () => {
  const key = harness.core.session.info()!.key;
  const wrong = 'A'.repeat(harness.token.length);
  for (const token of [null, '', wrong, `${harness.token}x`, harness.token.slice(1)]) {
    const label = JSON.stringify(token);
    assert.equal((await request('GET', '/', { token })).status, 403, `/ with ${label}`);
    assert.equal((await request('GET', '/labeling', { token })).status, 403, label);
    assert.equal((await request('GET', HARNESS_BRIDGE_PATH, { token })).status, 403, label);
    assert.equal((await request('POST', '/ipc/app.info', { body: '{}', headers: json, token })).status, 403, label);
    assert.equal((await request('POST', '/ipc/reports.exportCsv', { body: '{}', headers: json, token })).status, 403, label);
    assert.equal((await request('GET', `/orelab-image/full/1?c=${key}`, { token })).status, 403, label);
    assert.equal((await request('GET', `/orelab-image/thumb/1?c=${key}`, { token })).status, 403, label);
    const headers: Record<string, string> = token === null ? {} : { [HARNESS_TOKEN_HEADER]: token };
    assert.equal(await upgradeStatus(headers), 403, `WebSocket with ${label}`);
    assert.equal(await upgradeStatus({ ...headers, Cookie: `${harness.cookieName}=${token ?? ''}` }), 403, `WebSocket cookie ${label}`);
  }
  // A wrong token in the URL sets no cookie.
  const refused = await request('GET', `/?token=${wrong}`, { token: null });
  assert.equal(refused.status, 403);
  assert.equal(refused.headers['set-cookie'], undefined);
  // Node's own fetch, as any local program would use it.
  assert.equal((await fetch(`http://127.0.0.1:${harness.port}/`)).status, 403);
  assert.equal((await fetch(`http://127.0.0.1:${harness.port}/ipc/app.info`, { method: 'POST', headers: json, body: '{}' })).status, 403);
});

test('the token as a header or a cookie lets requests through; ?token= sets an HttpOnly SameSite=Strict cookie and redirects without it', async () => {
  assert.match(harness.token, /^[A-Za-z0-9_-]{43}$/, '32 random bytes, base64url');
  assert.equal(harness.url, `http://127.0.0.1:${harness.port}/?token=${harness.token}`);
  const visit = await fetch(`http://127.0.0.1:${harness.port}/labeling?x=1&token=${harness.token}`, { redirect: 'manual' });
  assert.ok([302, 303, 307].includes(visit.status), String(visit.status));
  assert.equal(visit.headers.get('location'), '/labeling?x=1');
  const setCookie = visit.headers.get('set-cookie')!;
  const [pair, ...attributes] = setCookie.split(';').map((p) => p.trim());
  assert.equal(pair, `${harness.cookieName}=${harness.token}`);
  assert.deepEqual(attributes.map((a) => a.toLowerCase()).sort(), ['httponly', 'path=/', 'samesite=strict']);

  const cookie = { Cookie: `other=1; ${pair}` };
  const page = await request('GET', '/', { token: null, headers: cookie });
  assert.equal(page.status, 200);
  assert.equal(page.headers['content-security-policy'], CONTENT_SECURITY_POLICY);
  const info = await fetch(`http://127.0.0.1:${harness.port}/ipc/app.info`, { method: 'POST', headers: { ...json, ...cookie }, body: '{}' });
  assert.equal(((await info.json()) as { ok: boolean }).ok, true);
  const byHeader = await fetch(`http://127.0.0.1:${harness.port}/ipc/app.info`, { method: 'POST', headers: { ...json, [HARNESS_TOKEN_HEADER]: harness.token }, body: '{}' });
  assert.equal(((await byHeader.json()) as { ok: boolean }).ok, true);
  // Image routes: past the token, the image rules answer (no specimen 99999 here).
  const key = harness.core.session.info()!.key;
  assert.equal((await request('GET', `/orelab-image/full/99999?c=${key}`, { token: null, headers: cookie })).status, 404);
  assert.equal(await upgradeStatus(cookie), 101);
  assert.equal(await upgradeStatus({ [HARNESS_TOKEN_HEADER]: harness.token }), 101);
  // Host and Origin are still checked with a valid token.
  assert.equal((await request('GET', '/', { headers: { Host: `evil.example:${harness.port}` } })).status, 403);
  assert.equal(await upgradeStatus({ ...cookie, Origin: 'https://evil.example' }), 403);
});

test('reports.exportCsv refuses to write through a symlink: the target is unchanged and the error names the file', async () => {
  const model = makeTinyClassifier(dir, ['malachite', 'quartz'], { seed: 2 });
  const added = JSON.parse((await request('POST', '/ipc/models.add', { body: JSON.stringify({ path: model }), headers: json })).body) as {
    ok: boolean;
    value: { model: { id: string } };
  };
  assert.equal(added.ok, true);
  const target = path.join(dir, 'someone-elses.txt');
  fs.writeFileSync(target, 'precious\n');
  const link = path.join(dir, 'export.csv');
  fs.symlinkSync(target, link);
  const body = JSON.stringify({ modelId: added.value.model.id, kind: 'predictions', path: link });
  const r = JSON.parse((await request('POST', '/ipc/reports.exportCsv', { body, headers: json })).body) as { ok: boolean; error: { code: string; message: string } };
  assert.equal(r.ok, false);
  assert.ok(['conflict', 'invalid-request'].includes(r.error.code), r.error.code);
  assert.ok(r.error.message.includes(link), r.error.message);
  assert.match(r.error.message, /symbolic link/);
  assert.equal(fs.readFileSync(target, 'utf8'), 'precious\n');
  assert.ok(fs.lstatSync(link).isSymbolicLink(), 'the link itself is left alone');
  // A link to a folder is refused the same way, not reported as the folder.
  const folderLink = path.join(dir, 'folder-link.csv');
  fs.symlinkSync(dir, folderLink);
  const toFolder = JSON.parse((await request('POST', '/ipc/reports.exportCsv', { body: JSON.stringify({ modelId: added.value.model.id, kind: 'predictions', path: folderLink }), headers: json })).body) as {
    ok: boolean;
    error: { code: string; message: string };
  };
  assert.equal(toFolder.ok, false);
  assert.ok(toFolder.error.message.includes(folderLink), toFolder.error.message);
  // A plain path still works.
  const plainFile = path.join(dir, 'plain.csv');
  const ok = JSON.parse((await request('POST', '/ipc/reports.exportCsv', { body: JSON.stringify({ modelId: added.value.model.id, kind: 'predictions', path: plainFile }), headers: json })).body) as { ok: boolean };
  assert.equal(ok.ok, true);
  assert.ok(fs.readFileSync(plainFile, 'utf8').startsWith('\ufeff'));
});
