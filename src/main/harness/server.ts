// The test harness: the built renderer served over HTTP with the same typed window.orelab API, bridged to a
// real core (real dispatcher, real services, a real catalogue file):
//   POST /ipc/<channel>        JSON request → JSON result envelope (the dispatcher's handleRequest)
//   GET  /events (WebSocket)   every core event as {event, payload}
//   GET  /orelab-image/...     the image protocol, same rules as Electron's orelab-image://
//   GET  /__harness/bridge.js  the bridge that defines window.orelab, added to index.html before the app
//   GET  /*                    dist/renderer, with the app's CSP on every response
// It listens on 127.0.0.1 only and refuses requests whose Host or Origin is not its own (DNS rebinding,
// cross-site POSTs from other pages in the same browser). Listening on loopback does not make it private:
// every local user can connect, and the harness can read what its user can and write CSV files where they
// can. So, as Jupyter does, it makes a random token at start and prints its URL with it (`/?token=…`);
// every request and the WebSocket upgrade must carry the token, in a header (X-Orelab-Token) or in the
// HttpOnly cookie that the first `?token=` visit sets before redirecting to the same URL without it.
import http from 'node:http';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { createCore, type OrelabCore } from '../ipc/core';
import { serveStaticFile } from '../serving/static-files';
import { CONTENT_SECURITY_POLICY } from '../serving/csp';

export const HARNESS_IMAGE_BASE = '/orelab-image/';
export const HARNESS_BRIDGE_PATH = '/__harness/bridge.js';
/** The header a program (tests, scripts) may send the token in; browsers use the cookie. */
export const HARNESS_TOKEN_HEADER = 'x-orelab-token';
const MAX_BODY_BYTES = 8 * 1024 * 1024;

export interface HarnessOptions {
  /** The catalogue file; created if it does not exist. */
  dbPath: string;
  /** 0 picks a free port. */
  port: number;
  host?: string;
  /** The built renderer (vite build output). */
  rendererDir: string;
  /** The built harness bridge script. */
  bridgeFile: string;
  version?: string;
}

export interface Harness {
  /** The URL to open: the harness's root with `?token=`, which signs a browser in (as printed at start). */
  url: string;
  /** The root without the token (requests to it need the header or the cookie). */
  baseUrl: string;
  port: number;
  /** 32 random bytes, base64url; made anew at every start. */
  token: string;
  /** The cookie that carries the token; named by port, as cookies are shared by every port of a host. */
  cookieName: string;
  core: OrelabCore;
  close(): Promise<void>;
}

async function send(res: http.ServerResponse, response: Response): Promise<void> {
  const body = Buffer.from(await response.arrayBuffer());
  const headers: Record<string, string> = {};
  response.headers.forEach((value, key) => (headers[key] = value));
  res.writeHead(response.status, { ...headers, 'Content-Length': String(body.length) });
  res.end(body);
}

function plain(res: http.ServerResponse, status: number, message: string): void {
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Security-Policy': CONTENT_SECURITY_POLICY });
  res.end(message);
}

function readBody(req: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY_BYTES) {
        reject(new Error('request body too large'));
        req.destroy();
      } else chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** Equal without revealing where they differ: both sides are hashed, so lengths leak nothing either. */
function sameSecret(candidate: string, expectedDigest: Buffer): boolean {
  return crypto.timingSafeEqual(crypto.createHash('sha256').update(candidate).digest(), expectedDigest);
}

/** Every value the Cookie header gives `name` (a browser may send two of the same name from different paths). */
function cookieValues(header: string | undefined, name: string): string[] {
  if (!header) return [];
  return header
    .split(';')
    .map((part) => part.trim())
    .filter((part) => part.startsWith(`${name}=`))
    .map((part) => part.slice(name.length + 1));
}

/** Adds the bridge before the app's own module script, so window.orelab exists when the app starts. */
export function injectBridge(html: string): string {
  const tag = `<script type="module" src="${HARNESS_BRIDGE_PATH}"></script>`;
  const at = html.indexOf('<script');
  return at >= 0 ? html.slice(0, at) + tag + '\n    ' + html.slice(at) : html.replace('</head>', `${tag}</head>`);
}

export async function startHarness(options: HarnessOptions): Promise<Harness> {
  if (!fs.existsSync(path.join(options.rendererDir, 'index.html'))) {
    throw new Error(`${options.rendererDir}/index.html is missing: build the renderer first (npm run build:renderer)`);
  }
  if (!fs.existsSync(options.bridgeFile)) throw new Error(`${options.bridgeFile} is missing: run npm run build`);
  const host = options.host ?? '127.0.0.1';
  const core = createCore({ shell: 'harness', version: options.version ?? '0.0.0' });
  core.session.open(options.dbPath, !fs.existsSync(options.dbPath));

  const token = crypto.randomBytes(32).toString('base64url');
  const tokenDigest = crypto.createHash('sha256').update(token).digest();
  let cookieName = '';
  const hasToken = (req: http.IncomingMessage) => {
    const header = req.headers[HARNESS_TOKEN_HEADER];
    const candidates = [...(typeof header === 'string' ? [header] : []), ...cookieValues(req.headers.cookie, cookieName)];
    // Every candidate is compared (no early exit), so timing says nothing about which one matched.
    return candidates.map((c) => sameSecret(c, tokenDigest)).includes(true);
  };
  const noToken = (res: http.ServerResponse) => plain(res, 403, 'refused: no valid harness token; open the URL the harness printed (…/?token=…)');

  let allowedHosts = new Set<string>();
  const hostAllowed = (req: http.IncomingMessage) => allowedHosts.has(req.headers.host ?? '');
  const originAllowed = (req: http.IncomingMessage) => {
    const origin = req.headers.origin;
    return origin === undefined || allowedHosts.has(origin.replace(/^https?:\/\//, '').replace(/^wss?:\/\//, ''));
  };

  const server = http.createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://harness.invalid');
      if (!hostAllowed(req)) return plain(res, 403, 'unexpected Host header');
      const given = url.searchParams.get('token');
      if (given !== null && (req.method === 'GET' || req.method === 'HEAD')) {
        if (!sameSecret(given, tokenDigest)) return noToken(res);
        // Sign the browser in, then send it to the same place without the token, so that the token does not
        // stay in the address bar, the history, or a Referer.
        url.searchParams.delete('token');
        res.writeHead(303, {
          // One leading slash: "//host" would be a URL of another site.
          Location: `/${url.pathname.replace(/^\/+/, '')}${url.search}`,
          'Set-Cookie': `${cookieName}=${token}; HttpOnly; SameSite=Strict; Path=/`,
          'Cache-Control': 'no-store',
          'Referrer-Policy': 'no-referrer',
          'Content-Security-Policy': CONTENT_SECURITY_POLICY,
        });
        return res.end();
      }
      if (!hasToken(req)) return noToken(res);
      if (url.pathname.startsWith('/ipc/')) {
        if (req.method !== 'POST') return plain(res, 405, 'POST only');
        // A JSON content type forces a CORS preflight on cross-origin pages, which this server never grants.
        if (!/^application\/json\b/.test(req.headers['content-type'] ?? '') || !originAllowed(req)) return plain(res, 403, 'refused');
        let payload: unknown;
        try {
          const body = await readBody(req);
          payload = body === '' ? undefined : (JSON.parse(body) as unknown);
        } catch (err) {
          return plain(res, 400, `bad request body: ${(err as Error).message}`);
        }
        let channel: string;
        try {
          channel = decodeURIComponent(url.pathname.slice('/ipc/'.length));
        } catch {
          return plain(res, 400, 'bad channel name');
        }
        const result = await core.handleRequest(channel, payload);
        res.writeHead(200, { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store' });
        return res.end(JSON.stringify(result));
      }
      if (req.method !== 'GET' && req.method !== 'HEAD') return plain(res, 405, 'method not allowed');
      if (url.pathname.startsWith(HARNESS_IMAGE_BASE)) {
        return send(res, await core.handleImage(url.pathname.slice(HARNESS_IMAGE_BASE.length), url.searchParams));
      }
      if (url.pathname === HARNESS_BRIDGE_PATH) {
        res.writeHead(200, {
          'Content-Type': 'text/javascript; charset=utf-8',
          'Content-Security-Policy': CONTENT_SECURITY_POLICY,
          'Cache-Control': 'no-cache',
        });
        return res.end(await fs.promises.readFile(options.bridgeFile));
      }
      return send(res, await serveStaticFile(options.rendererDir, url.pathname, { csp: CONTENT_SECURITY_POLICY, transformHtml: injectBridge }));
    })().catch((err: unknown) => {
      console.error('orelab harness:', err);
      if (!res.headersSent) plain(res, 500, 'internal error');
      else res.end();
    });
  });

  const sockets = new Set<WebSocket>();
  const wss = new WebSocketServer({ noServer: true });
  server.on('upgrade', (req, socket, head) => {
    const url = new URL(req.url ?? '/', 'http://harness.invalid');
    if (url.pathname !== '/events' || !hostAllowed(req) || !originAllowed(req) || !hasToken(req)) {
      socket.end('HTTP/1.1 403 Forbidden\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      sockets.add(ws);
      ws.on('close', () => sockets.delete(ws));
      ws.on('error', () => sockets.delete(ws));
    });
  });
  const unsubscribe = core.events.subscribe((message) => {
    const text = JSON.stringify(message);
    for (const ws of sockets) if (ws.readyState === ws.OPEN) ws.send(text);
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  allowedHosts = new Set([`${host}:${port}`, `localhost:${port}`, `127.0.0.1:${port}`]);
  cookieName = `orelab-harness-${port}`;

  const baseUrl = `http://${host}:${port}/`;
  return {
    url: `${baseUrl}?token=${token}`,
    baseUrl,
    port,
    token,
    cookieName,
    core,
    async close() {
      unsubscribe();
      for (const ws of sockets) ws.terminate();
      wss.close();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
      await core.shutdown();
    },
  };
}
