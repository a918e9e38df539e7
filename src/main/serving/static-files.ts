// Serves the built renderer (dist/renderer) for Electron's orelab://app/ protocol and for the harness, with
// the app's CSP on every response. Only files under the root are reachable.
import fs from 'node:fs';
import path from 'node:path';

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.map': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};

export interface StaticOptions {
  /** The Content-Security-Policy header sent with every file. */
  csp: string;
  /** Rewrites index.html before it is sent (the harness adds its bridge script). */
  transformHtml?: (html: string) => string;
}

function notFound(csp: string): Response {
  return new Response('not found', { status: 404, headers: { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Security-Policy': csp } });
}

/** Resolves a URL path to a file under root, or null if it escapes root or is malformed. */
export function resolveStaticPath(root: string, urlPath: string): string | null {
  let decoded: string;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    return null;
  }
  if (decoded.includes('\0') || decoded.includes('\\')) return null;
  const relative = path.posix.normalize(decoded).replace(/^\/+/, '');
  if (relative.split('/').includes('..')) return null;
  const base = path.resolve(root);
  const file = path.resolve(base, relative === '' ? 'index.html' : relative);
  return file === base || file.startsWith(base + path.sep) ? file : null;
}

export async function serveStaticFile(root: string, urlPath: string, options: StaticOptions): Promise<Response> {
  let file = resolveStaticPath(root, urlPath);
  if (!file) return notFound(options.csp);
  let stat = await fs.promises.stat(file).catch(() => null);
  // Client-side routes (no extension) get the app itself.
  if ((!stat || stat.isDirectory()) && path.extname(file) === '') {
    file = path.join(path.resolve(root), 'index.html');
    stat = await fs.promises.stat(file).catch(() => null);
  }
  if (!stat || !stat.isFile()) return notFound(options.csp);
  const ext = path.extname(file).toLowerCase();
  const headers = {
    'Content-Type': CONTENT_TYPES[ext] ?? 'application/octet-stream',
    'Content-Security-Policy': options.csp,
    'X-Content-Type-Options': 'nosniff',
    'Cache-Control': 'no-cache',
  };
  if (ext === '.html') {
    const html = await fs.promises.readFile(file, 'utf8');
    return new Response(options.transformHtml ? options.transformHtml(html) : html, { status: 200, headers });
  }
  return new Response(await fs.promises.readFile(file), { status: 200, headers });
}
