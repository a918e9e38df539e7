// Perceptual hashes of a photo: near-duplicates (a recrop, a re-encode, a watermark) have hashes a few bits
// apart, different photos about 32 bits apart. Both are 64 bits, stored as 16 hex digits, first bit = the
// most significant (the order of Python's imagehash, whose phash this reproduces bit for bit on the same
// 32×32 grey pixels: test/groups/phash.test.ts).
//
// - pHash: the photo resized by sharp to 32×32 (fit 'fill'), in grey, 2-D DCT-II, the 8×8 lowest
//   frequencies (row-major), bit = coefficient > the median of those 64 (imagehash.phash; DC term included).
// - dHash: the same grey pixels averaged down to 9×8, bit = a pixel brighter than its right neighbour
//   (Krawetz's dHash; imagehash.dhash sets the bit for the opposite order, which changes no distance but
//   those of equal pixels).
//
// One sharp call per photo, in colour, and the grey and the 9×8 computed here: on minerals7's thumbnails a
// sharp call costs about as much as the thumbnail itself (fixed per-call cost, the pixels are few), so a second
// call (sharp's own 9×8) would double the hashing cost, and sharp's greyscale() converts the whole thumbnail
// before the resize (measured 5.8 against 3.2 ms per call on a loaded machine). Grey is ITU-R 601 luma, as PIL's
// convert('L') computes it; taken after the resize it is the same up to rounding, both being linear.
import sharp from 'sharp';

export interface PhotoHashes {
  /** 16 hex digits. */
  phash: string;
  /** 16 hex digits. */
  dhash: string;
}

const SIDE = 32;
const LOW = 8;

/**
 * COS[k * 32 + n] = cos(π k (2n + 1) / 64) for the 8 lowest frequencies k: only those coefficients are
 * kept, so the DCT is 8 rows of 32 instead of 32 × 32 (constant factors change no comparison with the median,
 * so scipy's factor 2 is left out).
 */
const COS = new Float64Array(LOW * SIDE);
for (let k = 0; k < LOW; k++) for (let n = 0; n < SIDE; n++) COS[k * SIDE + n] = Math.cos((Math.PI * k * (2 * n + 1)) / (2 * SIDE));

/** The side of the square, colour, 'fill'-resized image the hashes are computed from. */
export const HASH_INPUT_SIDE = SIDE;

/**
 * Both hashes of an encoded image. It should be upright already: the catalogue's thumbnails are (EXIF
 * orientation is applied when they are made), and they are what import and the backfill hash, so that the two
 * give the same hashes for the same photo.
 */
export async function photoHashes(image: Buffer): Promise<PhotoHashes> {
  const { data, info } = await sharp(image, { failOn: 'none' }).resize(SIDE, SIDE, { fit: 'fill' }).raw().toBuffer({ resolveWithObject: true });
  return hashesOfPixels(data, info.width, info.height, info.channels);
}

/** Both hashes of an image already resized to 32×32 (fit 'fill'), as interleaved 8-bit pixels of 1–4 channels. */
export function hashesOfPixels(data: Uint8Array, width: number, height: number, channels: number): PhotoHashes {
  if (width !== SIDE || height !== SIDE) throw new Error(`the hashes need ${SIDE}×${SIDE} pixels, got ${width}×${height}`);
  const grey = greyOf(data, channels);
  return { phash: phashOfPixels(grey), dhash: dhashOfPixels(areaResample(grey, SIDE, SIDE, 9, 8)) };
}

/** ITU-R 601-2 luma of interleaved pixels (1–4 channels; transparency counts as white, as the thumbnails flatten it). */
export function greyOf(data: Uint8Array, channels: number): Float64Array {
  const n = data.length / channels;
  const grey = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const p = i * channels;
    const luma = channels >= 3 ? 0.299 * data[p]! + 0.587 * data[p + 1]! + 0.114 * data[p + 2]! : data[p]!;
    const alpha = channels === 2 || channels === 4 ? data[p + channels - 1]! / 255 : 1;
    grey[i] = luma * alpha + 255 * (1 - alpha);
  }
  return grey;
}

/** Box-filter downsampling: each output pixel is the mean of the input area it covers (fractional edges weighted). */
export function areaResample(pixels: ArrayLike<number>, width: number, height: number, outWidth: number, outHeight: number): Float64Array {
  const weights = (size: number, outSize: number, o: number): [number, number][] => {
    const from = (o * size) / outSize;
    const to = ((o + 1) * size) / outSize;
    const taps: [number, number][] = [];
    for (let i = Math.floor(from); i < Math.ceil(to); i++) taps.push([i, Math.min(i + 1, to) - Math.max(i, from)]);
    return taps;
  };
  const out = new Float64Array(outWidth * outHeight);
  for (let oy = 0; oy < outHeight; oy++) {
    const rows = weights(height, outHeight, oy);
    for (let ox = 0; ox < outWidth; ox++) {
      let sum = 0;
      let total = 0;
      for (const [y, wy] of rows) {
        for (const [x, wx] of weights(width, outWidth, ox)) {
          sum += pixels[y * width + x]! * wy * wx;
          total += wy * wx;
        }
      }
      out[oy * outWidth + ox] = sum / total;
    }
  }
  return out;
}

/** pHash of 32×32 grey pixels (row-major). */
export function phashOfPixels(pixels: ArrayLike<number>): string {
  if (pixels.length !== SIDE * SIDE) throw new Error(`pHash needs ${SIDE * SIDE} pixels, got ${pixels.length}`);
  // Along the rows first (x → u, for the 8 lowest u), then along the columns (y → v).
  const rows = new Float64Array(SIDE * LOW);
  for (let y = 0; y < SIDE; y++) {
    for (let u = 0; u < LOW; u++) {
      let sum = 0;
      for (let x = 0; x < SIDE; x++) sum += pixels[y * SIDE + x]! * COS[u * SIDE + x]!;
      rows[y * LOW + u] = sum;
    }
  }
  const coefficients = new Float64Array(LOW * LOW);
  for (let v = 0; v < LOW; v++) {
    for (let u = 0; u < LOW; u++) {
      let sum = 0;
      for (let y = 0; y < SIDE; y++) sum += rows[y * LOW + u]! * COS[v * SIDE + y]!;
      coefficients[v * LOW + u] = sum;
    }
  }
  const sorted = Float64Array.from(coefficients).sort();
  const median = (sorted[31]! + sorted[32]!) / 2;
  return bitsToHex(Array.from(coefficients, (c) => c > median));
}

/** dHash of 9×8 grey pixels (row-major, 9 per row). */
export function dhashOfPixels(pixels: ArrayLike<number>): string {
  if (pixels.length !== 72) throw new Error(`dHash needs 72 pixels, got ${pixels.length}`);
  const bits: boolean[] = [];
  for (let y = 0; y < 8; y++) for (let x = 0; x < 8; x++) bits.push(pixels[y * 9 + x]! > pixels[y * 9 + x + 1]!);
  return bitsToHex(bits);
}

/** 64 bits, the first the most significant, as 16 lower-case hex digits. */
export function bitsToHex(bits: readonly boolean[]): string {
  if (bits.length !== 64) throw new Error(`a hash has 64 bits, got ${bits.length}`);
  let hex = '';
  for (let i = 0; i < 64; i += 4) hex += ((+bits[i]! << 3) | (+bits[i + 1]! << 2) | (+bits[i + 2]! << 1) | +bits[i + 3]!).toString(16);
  return hex;
}
