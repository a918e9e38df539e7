// The renderer's Content-Security-Policy, sent with every app file by both shells: Electron's orelab://
// handler (src/main/app/main.ts) and the browser harness (src/main/harness/server.ts).
import { IMAGE_SCHEME } from '../../shared/images';

/**
 * No remote origins anywhere; scripts and styles only from the app's own files (no inline script, no eval);
 * images from the app and the catalogue image protocol; nothing may frame the app or be framed by it.
 * In the harness, 'self' is its http://127.0.0.1:port origin (and ws:// to it, for events).
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  `img-src 'self' ${IMAGE_SCHEME}:`,
  "font-src 'self'",
  "connect-src 'self'",
  "media-src 'none'",
  "object-src 'none'",
  "worker-src 'none'",
  "frame-src 'none'",
  "child-src 'none'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "form-action 'none'",
].join('; ');
