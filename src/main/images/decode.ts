import sharp, { type Metadata } from 'sharp';
import { exifDate } from './exif';

/** Refuse images above this many pixels before decoding them (decompression bombs). 100 MP covers any camera. */
export const MAX_INPUT_PIXELS = 100_000_000;
export const THUMBNAIL_SIZE = 256;
const MAX_PASSTHROUGH_THUMBNAIL_BYTES = 96 * 1024;

// libvips' operation cache keeps decoded images around; a batch tool decodes each image once, so it only costs memory.
sharp.cache(false);

export class ImageDecodeError extends Error {}

export interface DecodedImage {
  format: string;
  /** Width and height after EXIF auto-orientation. */
  width: number;
  height: number;
  exifDate: string | null;
  thumbnail: { jpeg: Buffer; width: number; height: number };
}

/**
 * Validates an image buffer and makes its thumbnail: reads the header, refuses bombs by their declared
 * size, then decodes the whole image (auto-oriented by EXIF) down to a JPEG thumbnail. Any failure is an
 * ImageDecodeError whose message says what is wrong in words a user can act on.
 */
export async function decodeImage(bytes: Buffer): Promise<DecodedImage> {
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
      // truncated or corrupt files.
      await sharp(bytes, { limitInputPixels: MAX_INPUT_PIXELS, failOn: 'warning' }).raw().toBuffer();
      return { ...described, thumbnail: { jpeg: bytes, width: w, height: h } };
    }
    const { data, info } = await sharp(bytes, { limitInputPixels: MAX_INPUT_PIXELS, failOn: 'warning', pages: 1 })
      .rotate()
      .resize(THUMBNAIL_SIZE, THUMBNAIL_SIZE, { fit: 'inside', withoutEnlargement: true })
      .flatten({ background: '#ffffff' })
      .jpeg({ quality: 78 })
      .toBuffer({ resolveWithObject: true });
    return { ...described, thumbnail: { jpeg: data, width: info.width, height: info.height } };
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

export function explainSharpError(err: unknown, bytes: Buffer): string {
  const message = err instanceof Error ? err.message : String(err);
  if (/unsupported image format/i.test(message)) {
    return looksLikeText(bytes) ? 'not an image: the file holds text' : 'not an image: unrecognised file contents';
  }
  if (/pixel limit/i.test(message)) return `image too large: over the ${MAX_INPUT_PIXELS / 1e6} MP limit (a decompression bomb?)`;
  if (/premature end|truncated|unexpected end|not enough data|read error|Corrupt/i.test(message)) {
    return `truncated or corrupt image: ${firstLine(message)}`;
  }
  // libvips turns decoder warnings (damaged entropy data, missing end marker) into this one message.
  if (/Warning treated as error/i.test(message)) return 'truncated or corrupt image: the decoder reported damaged data';
  return `cannot decode image: ${firstLine(message)}`;
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
