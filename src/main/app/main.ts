// Electron main process: one window, two custom protocols, one IPC handler, the app menu. Deliberately thin:
// every request goes to the same core the harness uses (src/main/ipc/core.ts); this file only wires Electron.
// Needs a workstation with Electron's binary (`npm start`); it cannot run where Electron is not installed.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { app, BrowserWindow, Menu, dialog, ipcMain, protocol, session, shell } from 'electron';
import { createCore, type OrelabCore } from '../ipc/core';
import { serveStaticFile } from '../serving/static-files';
import { resolveCataloguePath } from '../catalogue';
import { IPC_EVENT_CHANNEL, IPC_INVOKE_CHANNEL } from '../../shared/bridge';
import { IMAGE_SCHEME } from '../../shared/images';
import type { IpcResult } from '../../shared/ipc';
import { APP_HOST, APP_SCHEME, APP_URL, CONTENT_SECURITY_POLICY, PRIVILEGED_SCHEMES, createWindowOptions, isAppUrl } from './security';
import { initialCatalogue, loadSettings, saveSettings } from './settings';
import { buildMenuTemplate } from './menu';
import { checkFolderToOpen } from '../base/open-folder';

const here = path.dirname(fileURLToPath(import.meta.url)); // dist/main
const rendererDir = path.join(here, '..', 'renderer');
const preloadPath = path.join(here, 'preload.cjs');

// Must happen before "ready".
protocol.registerSchemesAsPrivileged(PRIVILEGED_SCHEMES.map((s) => ({ scheme: s.scheme, privileges: { ...s.privileges } })));
app.enableSandbox();

let mainWindow: BrowserWindow | null = null;
let core: OrelabCore | null = null;

function catalogueFilters() {
  return [
    { name: 'Orelab catalogue', extensions: ['sqlite', 'db'] },
    { name: 'All files', extensions: ['*'] },
  ];
}

async function chooseCatalogue(mode: 'open' | 'create'): Promise<string | null> {
  const parent = mainWindow ?? undefined;
  if (mode === 'open') {
    const r = parent
      ? await dialog.showOpenDialog(parent, { title: 'Open catalogue', properties: ['openFile'], filters: catalogueFilters() })
      : await dialog.showOpenDialog({ title: 'Open catalogue', properties: ['openFile'], filters: catalogueFilters() });
    return r.canceled ? null : (r.filePaths[0] ?? null);
  }
  const options = { title: 'New catalogue', defaultPath: 'catalogue.sqlite', filters: catalogueFilters() };
  const r = parent ? await dialog.showSaveDialog(parent, options) : await dialog.showSaveDialog(options);
  return r.canceled ? null : (r.filePath ?? null);
}

async function chooseFolder(title?: string): Promise<string | null> {
  const options = { title: title ?? 'Import folder', properties: ['openDirectory' as const] };
  const r = mainWindow ? await dialog.showOpenDialog(mainWindow, options) : await dialog.showOpenDialog(options);
  return r.canceled ? null : (r.filePaths[0] ?? null);
}

async function saveFile(title?: string, defaultPath?: string): Promise<string | null> {
  const options = { title: title ?? 'Save CSV', filters: [{ name: 'CSV', extensions: ['csv'] }], ...(defaultPath ? { defaultPath } : {}) };
  const r = mainWindow ? await dialog.showSaveDialog(mainWindow, options) : await dialog.showSaveDialog(options);
  return r.canceled ? null : (r.filePath ?? null);
}

function showError(result: IpcResult<unknown>): void {
  if (!result.ok) dialog.showErrorBox('Orelab', result.error.message);
}

/** Menu → catalogue actions go through the same dispatcher as the renderer's requests. */
async function openFromMenu(mode: 'open' | 'create'): Promise<void> {
  const file = await chooseCatalogue(mode);
  if (file && core) showError(await core.handleRequest('catalogue.open', { path: file, create: mode === 'create' }));
}

function createWindow(): void {
  const win = new BrowserWindow(createWindowOptions(preloadPath));
  mainWindow = win;
  win.once('ready-to-show', () => win.show());
  win.on('closed', () => {
    if (mainWindow === win) mainWindow = null;
  });
  void win.loadURL(APP_URL);
}

function lockDownWebContents(): void {
  app.on('web-contents-created', (_event, contents) => {
    contents.on('will-navigate', (e, url) => {
      if (!isAppUrl(url)) e.preventDefault();
    });
    contents.on('will-redirect', (e, url) => {
      if (!isAppUrl(url)) e.preventDefault();
    });
    contents.on('will-attach-webview', (e) => e.preventDefault());
    contents.setWindowOpenHandler(() => ({ action: 'deny' }));
  });
}

async function start(): Promise<void> {
  const userData = app.getPath('userData');
  const instance = createCore({
    shell: 'electron',
    version: app.getVersion(),
    dialogs: { chooseFolder, chooseCatalogue, saveFile },
    // The dispatcher passes checked folders only; checked again right here, at the one call that could launch a
    // program (shell.openPath opens a file or an .app bundle with its default handler).
    openFolder: (folder) => {
      const checked = checkFolderToOpen(folder);
      return checked.ok ? shell.openPath(checked.real) : Promise.resolve(checked.message);
    },
    catalogueOpened: (file) => saveSettings(userData, { ...loadSettings(userData), lastCatalogue: file }),
  });
  core = instance;

  const initial = initialCatalogue(loadSettings(userData), resolveCataloguePath());
  try {
    instance.session.open(initial.path, initial.create);
    saveSettings(userData, { ...loadSettings(userData), lastCatalogue: initial.path });
  } catch (err) {
    // The renderer shows "open or create a catalogue" when none is open.
    console.error(`orelab: cannot open ${initial.path}:`, err);
  }

  // No remote content, no permissions (camera, notifications, ...), ever.
  const ses = session.defaultSession;
  ses.setPermissionRequestHandler((_wc, _permission, callback) => callback(false));
  ses.setPermissionCheckHandler(() => false);
  ses.webRequest.onBeforeRequest({ urls: ['http://*/*', 'https://*/*', 'ws://*/*', 'wss://*/*'] }, (_details, callback) => callback({ cancel: true }));

  protocol.handle(APP_SCHEME, (request) => {
    const url = new URL(request.url);
    if (url.host !== APP_HOST) return new Response('not found', { status: 404 });
    return serveStaticFile(rendererDir, url.pathname, { csp: CONTENT_SECURITY_POLICY });
  });
  protocol.handle(IMAGE_SCHEME, (request) => {
    const url = new URL(request.url);
    if (url.host !== 'img') return new Response('not found', { status: 404 });
    return instance.handleImage(url.pathname.replace(/^\/+/, ''), url.searchParams);
  });

  ipcMain.handle(IPC_INVOKE_CHANNEL, (event, channel: unknown, payload: unknown) => {
    // Only the app's own page may call in (not a frame or page that somehow got elsewhere).
    if (!isAppUrl(event.senderFrame?.url ?? '')) {
      return { ok: false, error: { code: 'unavailable', message: 'refused: the request did not come from the Orelab window' } };
    }
    return instance.handleRequest(typeof channel === 'string' ? channel : '', payload);
  });
  instance.events.subscribe((message) => {
    if (mainWindow && !mainWindow.isDestroyed()) mainWindow.webContents.send(IPC_EVENT_CHANNEL, message);
  });

  const menu = buildMenuTemplate(
    {
      openCatalogue: () => void openFromMenu('open'),
      newCatalogue: () => void openFromMenu('create'),
      importFolder: () => instance.events.emit('menu.command', { command: 'import-folder' }),
      navigate: (page) => instance.events.emit('menu.command', { command: 'navigate', page }),
      showShortcuts: () => instance.events.emit('menu.command', { command: 'show-shortcuts' }),
      about: () =>
        void dialog.showMessageBox({
          type: 'info',
          title: 'About Orelab',
          message: `Orelab ${app.getVersion()}`,
          detail: 'Sorts photos of ore specimens by mineral (MA-ViT: CBAM + ViT + class-weighted loss), on this workstation.',
        }),
    },
    process.platform,
    !app.isPackaged,
  );
  Menu.setApplicationMenu(Menu.buildFromTemplate(menu));
  createWindow();
}

lockDownWebContents();
app.on('window-all-closed', () => app.quit());
let shuttingDown = false;
app.on('before-quit', (event) => {
  if (shuttingDown || !core) return;
  // Stop running jobs at a safe point and close the catalogue cleanly before quitting.
  event.preventDefault();
  shuttingDown = true;
  void core.shutdown().finally(() => app.quit());
});
app.whenReady().then(start, (err: unknown) => {
  console.error('orelab: startup failed:', err);
  app.quit();
});
