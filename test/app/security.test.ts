// The desktop window's security settings, read from the module main.ts builds the window with, and the
// pieces of the Electron shell that can run without Electron (menu template, settings, app file serving).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import {
  CONTENT_SECURITY_POLICY,
  PRIVILEGED_SCHEMES,
  createWindowOptions,
  isAppUrl,
  APP_URL,
} from '../../src/main/app/security';
import { buildMenuTemplate, type MenuActions } from '../../src/main/app/menu';
import { initialCatalogue, loadSettings, saveSettings, SETTINGS_FILE } from '../../src/main/app/settings';
import { checkFolderToOpen } from '../../src/main/base/open-folder';
import { resolveStaticPath, serveStaticFile } from '../../src/main/serving/static-files';
import { createCore } from '../../src/main/ipc/core';
import { REPO_ROOT, tempDir } from '../helpers/fs';

function directives(csp: string): Map<string, string[]> {
  return new Map(
    csp
      .split(';')
      .map((d) => d.trim().split(/\s+/))
      .filter((d) => d[0])
      .map(([name, ...values]) => [name!, values]),
  );
}

test('the window: context isolation, sandbox, no Node integration, web security on', () => {
  const options = createWindowOptions('/app/dist/main/preload.cjs');
  const prefs = options.webPreferences!;
  assert.equal(prefs.contextIsolation, true);
  assert.equal(prefs.sandbox, true);
  assert.equal(prefs.nodeIntegration, false);
  assert.equal(prefs.nodeIntegrationInWorker, false);
  assert.equal(prefs.nodeIntegrationInSubFrames, false);
  assert.notEqual(prefs.webSecurity, false);
  assert.notEqual(prefs.allowRunningInsecureContent, true);
  assert.equal(prefs.webviewTag, false);
  assert.equal(prefs.preload, '/app/dist/main/preload.cjs');
});

test('main.ts builds every window from createWindowOptions and blocks navigation and new windows', () => {
  const sources = (fs.readdirSync(path.join(REPO_ROOT, 'src/main'), { recursive: true }) as string[])
    .filter((f) => f.endsWith('.ts'))
    .map((f) => [f, fs.readFileSync(path.join(REPO_ROOT, 'src/main', f), 'utf8')] as const);
  const constructions = sources.flatMap(([f, text]) => [...text.matchAll(/new BrowserWindow\(([^)]*\))?/g)].map((m) => `${f}: ${m[0]}`));
  assert.deepEqual(constructions, ['app/main.ts: new BrowserWindow(createWindowOptions(preloadPath)']);
  const main = fs.readFileSync(path.join(REPO_ROOT, 'src/main/app/main.ts'), 'utf8');
  for (const needle of ["'will-navigate'", "'will-redirect'", "'will-attach-webview'", "setWindowOpenHandler(() => ({ action: 'deny' }))", 'setPermissionRequestHandler', 'app.enableSandbox()']) {
    assert.ok(main.includes(needle), `main.ts lacks ${needle}`);
  }
  // The only places webPreferences are written are in security.ts.
  for (const [f, text] of sources) if (f !== 'app/security.ts') assert.ok(!/webPreferences\s*:/.test(text), `${f} sets webPreferences`);
});

test('the CSP: self only, no inline script, no eval, no remote origins', () => {
  const d = directives(CONTENT_SECURITY_POLICY);
  assert.deepEqual(d.get('default-src'), ["'self'"]);
  assert.deepEqual(d.get('script-src'), ["'self'"]);
  assert.deepEqual(d.get('object-src'), ["'none'"]);
  assert.deepEqual(d.get('base-uri'), ["'none'"]);
  assert.deepEqual(d.get('frame-ancestors'), ["'none'"]);
  assert.ok(!CONTENT_SECURITY_POLICY.includes('unsafe-inline'));
  assert.ok(!CONTENT_SECURITY_POLICY.includes('unsafe-eval'));
  assert.ok(!CONTENT_SECURITY_POLICY.includes('wasm-unsafe-eval'));
  for (const [name, values] of d) {
    for (const v of values) {
      assert.ok(!/^(https?:|wss?:|data:|blob:|\*|.*\.[a-z]{2,}$)/.test(v), `${name} allows ${v}`);
    }
  }
  assert.deepEqual(d.get('img-src'), ["'self'", 'orelab-image:']);
});

test('custom schemes are privileged like https; only app URLs count as the app', () => {
  for (const s of PRIVILEGED_SCHEMES) {
    assert.equal(s.privileges.standard, true);
    assert.equal(s.privileges.secure, true);
  }
  assert.ok(isAppUrl(APP_URL));
  assert.ok(isAppUrl('orelab://app/#/labeling'));
  for (const url of ['https://example.com/', 'file:///etc/passwd', 'orelab://evil/index.html', 'orelab-image://img/thumb/1', 'not a url']) {
    assert.equal(isAppUrl(url), false, url);
  }
});

test('the app menu: File (open, new, import, quit), View with every page, Help', () => {
  const calls: string[] = [];
  const actions: MenuActions = {
    openCatalogue: () => calls.push('open'),
    newCatalogue: () => calls.push('new'),
    importFolder: () => calls.push('import'),
    navigate: (page) => calls.push(`navigate:${page}`),
    showShortcuts: () => calls.push('shortcuts'),
    about: () => calls.push('about'),
  };
  const menu = buildMenuTemplate(actions, 'linux', false);
  const labels = menu.map((m) => m.label ?? m.role);
  assert.deepEqual(labels, ['&File', 'editMenu', '&View', '&Help']);
  const file = menu[0]!.submenu as { label?: string; role?: string; click?: () => void }[];
  assert.deepEqual(
    file.filter((i) => i.label).map((i) => i.label),
    ['Open catalogue…', 'New catalogue…', 'Import folder…', 'Quit'],
  );
  assert.equal(file.find((i) => i.label === 'Quit')!.role, 'quit');
  for (const item of file) item.click?.();
  assert.deepEqual(calls, ['open', 'new', 'import']);
  const view = menu[2]!.submenu as { label?: string; role?: string; click?: () => void }[];
  for (const item of view) item.click?.();
  assert.deepEqual(calls.slice(3), ['navigate:catalogue', 'navigate:labeling', 'navigate:rebalancing', 'navigate:training', 'navigate:reports', 'navigate:relabel', 'navigate:batch']);
  assert.ok(!view.some((i) => i.role === 'toggleDevTools'), 'no dev tools in a packaged app');
  assert.ok(buildMenuTemplate(actions, 'linux', true)[2]!.submenu instanceof Array);
  assert.equal(buildMenuTemplate(actions, 'darwin', false)[0]!.role, 'appMenu');
});

test('settings remember the last catalogue; a broken file gives defaults', () => {
  const dir = tempDir();
  assert.deepEqual(loadSettings(dir), {});
  const catalogue = path.join(dir, 'lab.sqlite');
  fs.writeFileSync(catalogue, '');
  saveSettings(dir, { lastCatalogue: catalogue });
  assert.deepEqual(loadSettings(dir), { lastCatalogue: catalogue });
  assert.deepEqual(initialCatalogue(loadSettings(dir), path.join(dir, 'default.sqlite')), { path: catalogue, create: false });
  fs.rmSync(catalogue);
  assert.deepEqual(initialCatalogue(loadSettings(dir), path.join(dir, 'default.sqlite')), { path: path.join(dir, 'default.sqlite'), create: true });
  fs.writeFileSync(path.join(dir, SETTINGS_FILE), '{"lastCatalogue": ');
  assert.deepEqual(loadSettings(dir), {});
  assert.deepEqual(fs.readdirSync(dir).filter((f) => f.endsWith('.tmp')), []);
});

test('app files: only under the renderer folder, with the CSP on every response', async () => {
  const root = tempDir();
  fs.mkdirSync(path.join(root, 'assets'));
  fs.writeFileSync(path.join(root, 'index.html'), '<html><head><script type="module" src="/assets/a.js"></script></head></html>');
  fs.writeFileSync(path.join(root, 'assets', 'a.js'), 'export {}');
  fs.writeFileSync(path.join(path.dirname(root), 'outside.txt'), 'secret');
  const csp = CONTENT_SECURITY_POLICY;
  const index = await serveStaticFile(root, '/', { csp });
  assert.equal(index.status, 200);
  assert.equal(index.headers.get('content-security-policy'), csp);
  assert.match(index.headers.get('content-type')!, /text\/html/);
  const js = await serveStaticFile(root, '/assets/a.js', { csp });
  assert.equal(js.headers.get('content-type'), 'text/javascript; charset=utf-8');
  assert.equal(js.headers.get('content-security-policy'), csp);
  // Client-side routes get the app; missing files with an extension do not.
  assert.equal((await serveStaticFile(root, '/labeling', { csp })).status, 200);
  assert.equal((await serveStaticFile(root, '/assets/missing.js', { csp })).status, 404);
  for (const bad of ['/../outside.txt', '/%2e%2e/outside.txt', '/assets/..%2f..%2foutside.txt', '/%00', '/a\\..\\..\\outside.txt', '/%E0%A4%A']) {
    const r = await serveStaticFile(root, bad, { csp });
    assert.equal(r.status, 404, bad);
    assert.notEqual(await r.text(), 'secret');
  }
  assert.equal(resolveStaticPath(root, '/assets/a.js'), path.join(root, 'assets', 'a.js'));
  // Dot segments clamp at the root, as in any URL: they can never leave it.
  assert.equal(resolveStaticPath(root, '/../x'), path.join(root, 'x'));
  assert.equal(resolveStaticPath(root, '/a/%2e%2e/%2e%2e/x'), path.join(root, 'x'));
  assert.equal(resolveStaticPath(root, '/%00'), null);
});

/**
 * The `electronFuses:` block of electron-builder.yml as key → value. A deliberately small reader (no YAML
 * library is a dependency): the block is a map of booleans, one `key: value` a line, indented under it.
 */
function electronFuses(yaml: string): Map<string, string> {
  const lines = yaml.split(/\r?\n/);
  const start = lines.findIndex((l) => /^electronFuses:\s*(#.*)?$/.test(l));
  assert.ok(start >= 0, 'electron-builder.yml has no top-level electronFuses block');
  const fuses = new Map<string, string>();
  for (const line of lines.slice(start + 1)) {
    if (/^\s*(#.*)?$/.test(line)) continue;
    const m = /^\s+([A-Za-z]+):\s*([^#\s]+)\s*(#.*)?$/.exec(line);
    if (!m) break;
    assert.ok(!fuses.has(m[1]!), `${m[1]} is set twice`);
    fuses.set(m[1]!, m[2]!);
  }
  return fuses;
}

test('the packaged app flips the Electron fuses: no run-as-node, NODE_OPTIONS or --inspect; only the integrity-checked app.asar', () => {
  const fuses = electronFuses(fs.readFileSync(path.join(REPO_ROOT, 'electron-builder.yml'), 'utf8'));
  assert.equal(fuses.get('runAsNode'), 'false');
  assert.equal(fuses.get('enableNodeOptionsEnvironmentVariable'), 'false');
  assert.equal(fuses.get('enableNodeCliInspectArguments'), 'false');
  assert.equal(fuses.get('enableEmbeddedAsarIntegrityValidation'), 'true');
  assert.equal(fuses.get('onlyLoadAppFromAsar'), 'true');
  assert.equal(fuses.get('grantFileProtocolExtraPrivileges'), 'false', 'the app is served from orelab://, never file://');
  // Every key is one the installed electron-builder knows (a misspelt fuse would be silently ignored, or fail the build late).
  const schema = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'node_modules/app-builder-lib/scheme.json'), 'utf8')) as {
    definitions: { FuseOptionsV1: { properties: Record<string, { type: string }> } };
  };
  const known = schema.definitions.FuseOptionsV1.properties;
  for (const [key, value] of fuses) {
    assert.ok(key in known, `electronFuses.${key} is not an electron-builder fuse option`);
    assert.ok(value === 'true' || value === 'false', `electronFuses.${key} is not a boolean: ${value}`);
  }
});

test('files.openFolder opens folders only: never a file, an executable, or an application bundle', async () => {
  const dir = tempDir();
  const folder = path.join(dir, 'results');
  fs.mkdirSync(folder);
  const bundles = ['Calculator.app', 'Tool.APP', 'setup.exe', 'Helper.bundle', 'Thing.framework', 'x.appimage'].map((name) => path.join(dir, name));
  for (const b of bundles) fs.mkdirSync(path.join(b, 'Contents'), { recursive: true });
  const script = path.join(dir, 'run.sh');
  fs.writeFileSync(script, '#!/bin/sh\necho hi\n', { mode: 0o755 });
  const linkToBundle = path.join(dir, 'innocent');
  fs.symlinkSync(bundles[0]!, linkToBundle);
  const linkToFolder = path.join(dir, 'results-link');
  fs.symlinkSync(folder, linkToFolder);

  assert.deepEqual(checkFolderToOpen(folder), { ok: true, folder, real: fs.realpathSync(folder) });
  assert.deepEqual(checkFolderToOpen(linkToFolder), { ok: true, folder: linkToFolder, real: fs.realpathSync(folder) });
  // Inside a bundle is a plain folder: the file manager shows it, nothing runs.
  assert.equal(checkFolderToOpen(path.join(bundles[0]!, 'Contents')).ok, true);
  for (const p of [...bundles, linkToBundle]) {
    const r = checkFolderToOpen(p);
    assert.ok(!r.ok && r.reason === 'bundle', p);
    assert.match(r.ok ? '' : r.message, /application bundle|program/, p);
  }
  for (const p of [script, path.join(dir, 'results', '..', 'run.sh')]) {
    const r = checkFolderToOpen(p);
    assert.ok(!r.ok && r.reason === 'not-a-folder', p);
  }
  const missing = checkFolderToOpen(path.join(dir, 'nope'));
  assert.ok(!missing.ok && missing.reason === 'missing');

  // Through the dispatcher, with a desktop shell that records what it was asked to open.
  const opened: string[] = [];
  const core = createCore({
    shell: 'electron',
    version: 'test',
    openFolder: (f) => {
      opened.push(f);
      return Promise.resolve('');
    },
  });
  try {
    const ok = await core.invoke('files.openFolder', { path: folder });
    assert.deepEqual(ok, { ok: true, value: { opened: true, path: folder } });
    for (const p of [...bundles, linkToBundle, script]) {
      const r = await core.invoke('files.openFolder', { path: p });
      assert.ok(!r.ok, p);
      assert.equal(r.ok ? '' : r.error.code, 'invalid-request', p);
      assert.ok((r.ok ? '' : r.error.message).includes(p), p);
    }
    assert.equal((await core.handleRequest('files.openFolder', { path: path.join(dir, 'nope') })).ok, false);
    assert.deepEqual(opened, [fs.realpathSync(folder)], 'only the real folder reached the shell');
  } finally {
    await core.shutdown();
  }
});
