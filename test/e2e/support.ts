// End-to-end support: the real harness (node dist/main/harness.js, built by scripts/e2e.mjs) on a fresh
// catalogue and a free port, and Debian's Chromium driven by playwright-core (no browser is downloaded).
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { chromium, type Browser as Chromium, type BrowserContext, type Page } from 'playwright-core';
import { REPO_ROOT } from '../helpers/fs';

export const SCREENSHOTS = path.join(REPO_ROOT, 'e2e-screenshots');
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export interface RunningHarness {
  /**
   * The URL the harness printed, with its `?token=`: opening it signs the browser in (a cookie) and redirects
   * to the app. page.request shares the browser's cookies, so requests after that need nothing more.
   */
  url: string;
  /** The app's root without the token. */
  baseUrl: string;
  /** The harness's token, for requests from outside the browser (header X-Orelab-Token). */
  token: string;
  dbPath: string;
  dir: string;
  stop(): Promise<void>;
}

/**
 * Starts the built harness on a free port over `dbPath` (created if missing); resolves once it listens.
 * `dir` is the harness's folder (made if missing, removed by stop()); by default a fresh temp folder.
 */
export async function startHarness(dbPath?: string, options: { dir?: string } = {}): Promise<RunningHarness> {
  const dir = options.dir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'orelab-e2e-'));
  fs.mkdirSync(dir, { recursive: true });
  const db = dbPath ?? path.join(dir, 'catalogue.sqlite');
  const entry = path.join(REPO_ROOT, 'dist/main/harness.js');
  if (!fs.existsSync(entry) || !fs.existsSync(path.join(REPO_ROOT, 'dist/renderer/index.html'))) {
    throw new Error('the harness is not built: run the e2e tests with `npm run e2e`, which builds first');
  }
  const child: ChildProcess = spawn(process.execPath, [entry, '--db', db, '--port', '0'], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
  const url = await new Promise<URL>((resolve, reject) => {
    const lines = readline.createInterface({ input: child.stdout! });
    lines.on('line', (line) => {
      const m = /listening on (http:\/\/\S+)/.exec(line);
      if (m) resolve(new URL(m[1]!));
    });
    child.once('exit', (code) => reject(new Error(`the harness exited (${code}) before listening:\n${stderr}`)));
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const token = url.searchParams.get('token');
  if (!token) throw new Error(`the harness printed a URL without its token: ${url.href}`);
  return {
    url: url.href,
    baseUrl: `${url.origin}/`,
    token,
    dbPath: db,
    dir,
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface Browser {
  context: BrowserContext;
  page: Page;
  /** Console errors, page errors, CSP violations and failed requests seen so far. */
  problems: string[];
  close(): Promise<void>;
}

const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
const DEFAULT_VIEWPORT = { width: 1400, height: 880 };

/** Opens `url` in a fresh profile; give it the harness's token URL (RunningHarness.url), which signs the browser in. */
export async function openBrowser(url: string, viewport = DEFAULT_VIEWPORT): Promise<Browser> {
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'orelab-chromium-'));
  const context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, viewport, args: CHROMIUM_ARGS });
  const page = context.pages()[0] ?? (await context.newPage());
  const watched = await watch(context, page);
  await page.goto(url);
  return {
    ...watched,
    async close() {
      await context.close();
      fs.rmSync(profile, { recursive: true, force: true });
    },
  };
}

/**
 * One Chromium for many flows: each flow opens its own context in it (openContext), which has its own cookies
 * and storage, so a flow sees only its own harness, at a fraction of the cost of a new browser.
 */
export function launchChromium(): Promise<Chromium> {
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
}

/**
 * A fresh context of `chromium` (no cookies or storage from any other flow) with its page watched for problems;
 * open the harness's token URL in it with `browser.page.goto(harness.url)`. It does not need the harness yet,
 * so it can be made while the harness starts.
 */
export async function openContext(chromiumBrowser: Chromium, viewport = DEFAULT_VIEWPORT): Promise<Browser> {
  const context = await chromiumBrowser.newContext({ viewport });
  const page = await context.newPage();
  return { ...(await watch(context, page)), close: () => context.close() };
}

/** Collects the page's problems: console errors, page errors, CSP violations, failed requests. */
async function watch(context: BrowserContext, page: Page): Promise<Omit<Browser, 'close'>> {
  const problems: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error' || /Content Security Policy/i.test(m.text())) problems.push(`console: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('requestfailed', (r) => {
    const error = r.failure()?.errorText ?? '';
    // An image whose row scrolled away or whose specimen changed is cancelled by the browser: not a failure.
    if (error === 'net::ERR_ABORTED' && r.url().includes('/orelab-image/')) return;
    problems.push(`request failed: ${r.url()} ${error}`);
  });
  page.on('response', (r) => {
    if (r.status() >= 400) problems.push(`HTTP ${r.status()}: ${r.url()}`);
  });
  // Violations are also reported as DOM events: collect them where the page can be asked.
  // (Strings, not functions: these run in the page, and the Node-side tsconfig has no DOM types.)
  await context.addInitScript(
    "window.__csp = []; document.addEventListener('securitypolicyviolation', (e) => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));",
  );
  return { context, page, problems };
}

export async function cspViolations(page: Page): Promise<string[]> {
  return (await page.evaluate('window.__csp')) as string[];
}

/** Saves a screenshot once every image on the page has loaded (a broken image makes the test time out). */
export async function screenshot(page: Page, name: string): Promise<void> {
  type Img = { complete: boolean; naturalWidth: number };
  type Doc = { querySelectorAll(s: string): ArrayLike<Img> };
  await page.waitForFunction(() =>
    Array.from((globalThis as unknown as { document: Doc }).document.querySelectorAll('img')).every((img) => img.complete && img.naturalWidth > 0),
  );
  fs.mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`) });
}

/** Waits until an <img> has loaded with real pixels. */
export async function imageLoaded(page: Page, selector: string): Promise<void> {
  // A function, not a string: Playwright compiles a string predicate inside the page with eval, which the
  // app's CSP (rightly) refuses. The structural type stands in for the DOM types the Node tsconfig lacks.
  type Doc = { querySelector(s: string): { complete: boolean; naturalWidth: number } | null };
  await page.waitForFunction((sel: string) => {
    const img = (globalThis as unknown as { document: Doc }).document.querySelector(sel);
    return img !== null && img.complete && img.naturalWidth > 0;
  }, selector);
}
