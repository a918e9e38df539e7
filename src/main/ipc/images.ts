// The image protocol's one implementation, for Electron's orelab-image:// handler and the harness's
// /orelab-image/ route. It serves catalogue files only: thumbnails from the catalogue, and originals of
// catalogued specimens (by id, or by a path that belongs to a specimen) whose bytes sharp reads as a photo.
// Everything else is refused: a catalogued path replaced by a text file, or a symlink to one, is not served.
import sharp, { type Metadata } from 'sharp';
import { parseImageRoute } from '../../shared/images';
import { getThumbnail, specimenFile, specimenForPath } from '../catalogue';
import type { CatalogueSession } from './session';
// A larger "photo" is not read into memory at all; the same limits as import's.
import { isRefusal, readPhotoFile } from '../images/limits';
import { MAX_INPUT_PIXELS } from '../images/decode';

/**
 * Formats (as sharp names them) the routes serve: photos only. sharp reads more (SVG, PDF, text matrices,
 * ...), and a catalogued path may since have been replaced by anything, so the bytes decide, not the name.
 */
const PHOTO_FORMATS = new Set(['jpeg', 'png', 'webp', 'gif', 'tiff', 'heif', 'jp2k', 'jxl']);
/** Photo formats Chromium shows as they are; the rest (TIFF, HEIF, ...) are converted to JPEG on the way out. */
const BROWSER_FORMATS: Record<string, string> = {
  jpeg: 'image/jpeg',
  png: 'image/png',
  webp: 'image/webp',
  gif: 'image/gif',
};
const CONVERTED_MAX_SIZE = 4096;
const NOT_AN_IMAGE = 'the file of this specimen is not an image (it was replaced since it was imported)';

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

/** A photo file's bytes, 'not-a-file' when it is no regular file within the cap, or null when there is none. */
async function readRegularFile(file: string): Promise<Buffer | 'not-a-file' | null> {
  try {
    const bytes = await readPhotoFile(file);
    return isRefusal(bytes) ? 'not-a-file' : bytes;
  } catch {
    return null;
  }
}

async function serveFile(file: { path: string }): Promise<Response> {
  const bytes = await readRegularFile(file.path);
  if (bytes === null) return refuse(404, 'the file of this specimen was moved or deleted since it was imported');
  if (bytes === 'not-a-file') return refuse(403, NOT_AN_IMAGE);
  // The bytes about to be served are what is checked (no second read that could see another file).
  let meta: Metadata;
  try {
    meta = await sharp(bytes, { limitInputPixels: MAX_INPUT_PIXELS }).metadata();
  } catch {
    return refuse(403, NOT_AN_IMAGE);
  }
  if (!meta.format || !PHOTO_FORMATS.has(meta.format)) return refuse(403, NOT_AN_IMAGE);
  const type = meta.format === 'heif' && meta.compression === 'av1' ? 'image/avif' : BROWSER_FORMATS[meta.format];
  if (type) return image(bytes, type);
  try {
    const jpeg = await sharp(bytes, { limitInputPixels: MAX_INPUT_PIXELS })
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
 * Returns 400 for a malformed URL, 403 for a path that is not a catalogued file or a file that is not an
 * image, 404 for anything missing
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
