// The test harness: the built renderer served over HTTP with the same typed window.orelab API, bridged to a
// real core (real dispatcher, real services, a real catalogue file):
//   POST /ipc/<channel>        JSON request → JSON result envelope (the dispatcher's handleRequest)
//   GET  /events (WebSocket)   every core event as {event, payload}
//   GET  /orelab-image/...     the image protocol, same rules as Electron's orelab-image://
//   GET  /__harness/bridge.js  the bridge that defines window.orelab, added to index.html before the app
//   GET  /*                    dist/renderer, with the app's CSP on every response
// It listens on 127.0.0.1 only and refuses requests whose Host or Origin is not its own (DNS rebinding,
// cross-site POSTs from other pages in the same browser).
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { createCore, type OrelabCore } from './core';
import { serveStaticFile } from './static-files';
import { CONTENT_SECURITY_POLICY } from '../app/security';

export const HARNESS_IMAGE_BASE = '/orelab-image/';
export const HARNESS_BRIDGE_PATH = '/__harness/bridge.js';
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
  url: string;
  port: number;
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
        const result = await core.handleRequest(decodeURIComponent(url.pathname.slice('/ipc/'.length)), payload);
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
    if (url.pathname !== '/events' || !hostAllowed(req) || !originAllowed(req)) {
      socket.end('HTTP/1.1 403 Forbidden\r\n\r\n');
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

  return {
    url: `http://${host}:${port}/`,
    port,
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
