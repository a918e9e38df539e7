import sharp, { type Metadata } from 'sharp';
import { exifDate } from './exif';
import { HASH_INPUT_SIDE, hashesOfPixels, photoHashes, type PhotoHashes } from './phash';
import { UserError } from '../../shared/errors';

/** Refuse images above this many pixels before decoding them (decompression bombs). 100 MP covers any camera. */
export const MAX_INPUT_PIXELS = 100_000_000;
export const THUMBNAIL_SIZE = 256;
const MAX_PASSTHROUGH_THUMBNAIL_BYTES = 96 * 1024;

// libvips' operation cache keeps decoded images around; a batch tool decodes each image once, so it only costs memory.
sharp.cache(false);

export class ImageDecodeError extends UserError {
  constructor(message: string) {
    super('invalid-input', message);
  }
}

export interface DecodedImage {
  format: string;
  /** Width and height after EXIF auto-orientation. */
  width: number;
  height: number;
  exifDate: string | null;
  thumbnail: { jpeg: Buffer; width: number; height: number };
  /** The thumbnail's perceptual hashes (images/phash.ts); null when not asked for or not computable. */
  hashes: PhotoHashes | null;
}

export interface DecodeOptions {
  /** Compute the thumbnail's perceptual hashes (default true; false only to measure what they cost). */
  photoHashes?: boolean;
}

/**
 * Validates an image buffer and makes its thumbnail: reads the header, refuses bombs by their declared
 * size, then decodes the whole image (auto-oriented by EXIF) down to a JPEG thumbnail. Any failure is an
 * ImageDecodeError whose message says what is wrong in words a user can act on.
 */
export async function decodeImage(bytes: Buffer, options: DecodeOptions = {}): Promise<DecodedImage> {
  const hashing = options.photoHashes ?? true;
  if (bytes.length === 0) throw new ImageDecodeError('empty file (0 bytes)');
  let meta: Metadata;
  try {
    meta = await sharp(bytes, { limitInputPixels: false }).metadata();
  } catch (err) {
    throw new ImageDecodeError(explainSharpError(err, bytes));
  }
  const w = meta.width ?? 0;
  const h = meta.height ?? 0;
  if (w * h > MAX_INPUT_PIXELS) {
    throw new ImageDecodeError(
      `image too large: ${w}×${h} is ${(w * h / 1e6).toFixed(0)} megapixels, over the ${MAX_INPUT_PIXELS / 1e6} MP limit (a decompression bomb?)`,
    );
  }
  const swapped = (meta.orientation ?? 1) >= 5;
  const described = {
    format: meta.format ?? 'unknown',
    width: swapped ? h : w,
    height: swapped ? w : h,
    exifDate: exifDate(meta.exif),
  };
  try {
    if (isAlreadyThumbnail(meta, bytes)) {
      // A small, upright JPEG is its own thumbnail: re-encoding it would cost more than decoding it and
      // gain nothing a browser can't do when it scales the image. It is still decoded in full, to refuse
      // truncated or corrupt files. Decoded to the hashes' 32×32, which reads every block as a full decode does
      // and refuses the same files (checked on cut and overwritten JPEGs), and makes the hashes for free: a
      // separate call per photo added 40% to the import of minerals7, 781 of whose 804 photos take this path.
      const pass = sharp(bytes, { limitInputPixels: MAX_INPUT_PIXELS, failOn: 'warning' });
      if (!hashing) {
        await pass.raw().toBuffer();
        return { ...described, thumbnail: { jpeg: bytes, width: w, height: h }, hashes: null };
      }
      const { data, info } = await pass.resize(HASH_INPUT_SIDE, HASH_INPUT_SIDE, { fit: 'fill' }).raw().toBuffer({ resolveWithObject: true });
      return { ...described, thumbnail: { jpeg: bytes, width: w, height: h }, hashes: hashesOfPixels(data, info.width, info.height, info.channels) };
    }
    const { data, info } = await sharp(bytes, { limitInputPixels: MAX_INPUT_PIXELS, failOn: 'warning', pages: 1 })
      .rotate()
      .resize(THUMBNAIL_SIZE, THUMBNAIL_SIZE, { fit: 'inside', withoutEnlargement: true })
      .flatten({ background: '#ffffff' })
      .jpeg({ quality: 78 })
      .toBuffer({ resolveWithObject: true });
    // Hashed from the thumbnail, as the backfill does for older specimens, so both give a photo the same hashes.
    const hashes = hashing ? await photoHashes(data) : null;
    return { ...described, thumbnail: { jpeg: data, width: info.width, height: info.height }, hashes };
  } catch (err) {
    throw new ImageDecodeError(explainSharpError(err, bytes));
  }
}

/** Thumbnail-sized already: a JPEG no larger than twice the thumbnail box, not rotated by EXIF, and small in bytes. */
function isAlreadyThumbnail(meta: Metadata, bytes: Buffer): boolean {
  return (
    meta.format === 'jpeg' &&
    (meta.orientation ?? 1) === 1 &&
    Math.max(meta.width ?? Infinity, meta.height ?? Infinity) <= 2 * THUMBNAIL_SIZE &&
    bytes.length <= MAX_PASSTHROUGH_THUMBNAIL_BYTES &&
    (meta.channels ?? 3) === 3
  );
}

/**
 * Words for a failed decode. The file's own bytes decide first: libvips keeps one error buffer for the whole
 * process, so when several photos fail at once a message can land on the wrong one (seen: a cut JPEG
 * reported as "buffer is not in a known format", the text file's message). The message only refines.
 */
export function explainSharpError(err: unknown, bytes: Buffer): string {
  const message = err instanceof Error ? err.message : String(err);
  if (/pixel limit/i.test(message)) return `image too large: over the ${MAX_INPUT_PIXELS / 1e6} MP limit (a decompression bomb?)`;
  const format = sniffImageFormat(bytes);
  if (!format) {
    if (looksLikeText(bytes)) return 'not an image: the file holds text';
    if (/unsupported image format|not in a known format/i.test(message)) return 'not an image: unrecognised file contents';
  }
  if (format === 'JPEG' && !hasJpegEndMarker(bytes)) return 'truncated or corrupt image: the JPEG data stops before its end marker';
  if (/premature end|truncated|unexpected end|not enough data|read error|Corrupt/i.test(message)) {
    return `truncated or corrupt image: ${firstLine(message)}`;
  }
  // libvips turns decoder warnings (damaged entropy data, missing end marker) into this one message.
  if (/Warning treated as error/i.test(message)) return 'truncated or corrupt image: the decoder reported damaged data';
  if (format) return `truncated or corrupt image: the file starts as a ${format} but cannot be decoded`;
  return `cannot decode image: ${firstLine(message)}`;
}

/** The image format a file's first bytes announce, for the formats sharp reads that have a signature. */
function sniffImageFormat(bytes: Buffer): string | null {
  const starts = (sig: number[], at = 0) => bytes.length >= at + sig.length && sig.every((b, i) => bytes[at + i] === b);
  const ascii = (text: string, at = 0) => starts([...text].map((c) => c.charCodeAt(0)), at);
  if (starts([0xff, 0xd8, 0xff])) return 'JPEG';
  if (starts([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return 'PNG';
  if (ascii('GIF87a') || ascii('GIF89a')) return 'GIF';
  if (ascii('RIFF') && ascii('WEBP', 8)) return 'WebP';
  if (starts([0x49, 0x49, 0x2a, 0x00]) || starts([0x4d, 0x4d, 0x00, 0x2a])) return 'TIFF';
  if (ascii('ftyp', 4)) return 'HEIF/AVIF';
  return null;
}

/** Whether a JPEG's end-of-image marker (FF D9) occurs at all; a photo cut short has none (an EXIF thumbnail's may remain). */
function hasJpegEndMarker(bytes: Buffer): boolean {
  return bytes.includes(Buffer.from([0xff, 0xd9]));
}

function firstLine(s: string): string {
  return s.split('\n')[0]!.trim();
}

function looksLikeText(bytes: Buffer): boolean {
  const sample = bytes.subarray(0, 512);
  let printable = 0;
  for (const b of sample) if (b === 9 || b === 10 || b === 13 || (b >= 32 && b < 127) || b >= 0xc2) printable++;
  return sample.length > 0 && printable / sample.length > 0.95;
}
