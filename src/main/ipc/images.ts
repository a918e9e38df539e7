// The image protocol's one implementation, for Electron's orelab-image:// handler and the harness's
// /orelab-image/ route. It serves catalogue files only: thumbnails from the catalogue, and originals of
// catalogued specimens (by id, or by a path that belongs to a specimen). Everything else is refused.
import fs from 'node:fs';
import sharp from 'sharp';
import { parseImageRoute } from '../../shared/images';
import { getThumbnail, specimenFile, specimenForPath } from '../catalogue';
import type { CatalogueSession } from './session';

/** Formats Chromium shows as they are; the rest (TIFF, HEIF, ...) are converted to JPEG on the way out. */
const BROWSER_FORMATS: Record<string, string> = {
  jpeg: 'image/jpeg',
  jpg: 'image/jpeg',
  png: 'image/png',
  webp: 'image/webp',
  gif: 'image/gif',
  avif: 'image/avif',
};
const CONVERTED_MAX_SIZE = 4096;

const IMAGE_HEADERS = {
  'X-Content-Type-Options': 'nosniff',
  // An image opened as a document can run nothing.
  'Content-Security-Policy': "default-src 'none'",
};

function refuse(status: 400 | 403 | 404, message: string): Response {
  return new Response(message, { status, headers: { ...IMAGE_HEADERS, 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store' } });
}

function image(bytes: Uint8Array, type: string): Response {
  return new Response(bytes, {
    status: 200,
    headers: { ...IMAGE_HEADERS, 'Content-Type': type, 'Cache-Control': 'private, max-age=31536000, immutable' },
  });
}

async function serveFile(file: { path: string; format: string }): Promise<Response> {
  let bytes: Buffer;
  try {
    bytes = await fs.promises.readFile(file.path);
  } catch {
    return refuse(404, 'the file of this specimen was moved or deleted since it was imported');
  }
  const type = BROWSER_FORMATS[file.format.toLowerCase()];
  if (type) return image(bytes, type);
  try {
    const jpeg = await sharp(bytes, { limitInputPixels: 100_000_000 })
      .rotate()
      .resize(CONVERTED_MAX_SIZE, CONVERTED_MAX_SIZE, { fit: 'inside', withoutEnlargement: true })
      .jpeg({ quality: 90 })
      .toBuffer();
    return image(jpeg, 'image/jpeg');
  } catch {
    return refuse(404, 'this image can no longer be decoded');
  }
}

/**
 * Answers one image request. `rest` is the URL path after the image base ("thumb/12"); `query` its query.
 * Returns 400 for a malformed URL, 403 for a path that is not a catalogued file, 404 for anything missing
 * (including a URL from a catalogue that is no longer open).
 */
export async function serveImage(session: CatalogueSession, rest: string, query: URLSearchParams): Promise<Response> {
  const route = parseImageRoute(rest, query);
  if (route.kind === 'invalid') return refuse(400, route.reason);
  if (!session.isOpen()) return refuse(404, 'no catalogue is open');
  if (route.key !== session.currentKey()) return refuse(404, 'this image URL belongs to a catalogue that is not open');
  const db = session.requireDb();
  if (route.kind === 'thumb') {
    const jpeg = getThumbnail(db, route.specimenId);
    return jpeg ? image(jpeg, 'image/jpeg') : refuse(404, `no thumbnail for specimen ${route.specimenId}`);
  }
  if (route.kind === 'full') {
    const file = specimenFile(db, route.specimenId);
    return file ? serveFile(file) : refuse(404, `no specimen ${route.specimenId}`);
  }
  const owner = specimenForPath(db, route.path);
  if (!owner) return refuse(403, 'not a catalogued file');
  return serveFile(owner);
}
