// The desktop window's security settings, in one module that does not load Electron, so that a Node test can
// read exactly what main.ts gives BrowserWindow, and the harness serves exactly the same CSP.
import type { BrowserWindowConstructorOptions, WebPreferences } from 'electron';
import { IMAGE_SCHEME } from '../../shared/images';

/** The renderer is served from orelab://app/ (never file://), so 'self' means the app's own files. */
export const APP_SCHEME = 'orelab';
export const APP_HOST = 'app';
export const APP_ORIGIN = `${APP_SCHEME}://${APP_HOST}`;
export const APP_URL = `${APP_ORIGIN}/index.html`;
export const IMAGE_BASE_URL = `${IMAGE_SCHEME}://img/`;

export { CONTENT_SECURITY_POLICY } from '../serving/csp';

/** Both custom schemes behave like https: standard URL parsing, secure context, fetch allowed. */
export const PRIVILEGED_SCHEMES = [
  { scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true } },
  { scheme: IMAGE_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true } },
] as const;

export function webPreferences(preloadPath: string): WebPreferences {
  return {
    preload: preloadPath,
    contextIsolation: true,
    sandbox: true,
    nodeIntegration: false,
    nodeIntegrationInWorker: false,
    nodeIntegrationInSubFrames: false,
    webSecurity: true,
    allowRunningInsecureContent: false,
    webviewTag: false,
    navigateOnDragDrop: false,
    spellcheck: false,
    experimentalFeatures: false,
  };
}

export function createWindowOptions(preloadPath: string): BrowserWindowConstructorOptions {
  return {
    width: 1360,
    height: 860,
    minWidth: 960,
    minHeight: 600,
    title: 'Orelab',
    backgroundColor: '#f6f7f9',
    show: false,
    webPreferences: webPreferences(preloadPath),
  };
}

/** In-app navigation stays on the app origin; everything else (links, drops, redirects) is refused. */
export function isAppUrl(url: string): boolean {
  try {
    const u = new URL(url);
    return u.protocol === `${APP_SCHEME}:` && u.host === APP_HOST;
  } catch {
    return false;
  }
}
