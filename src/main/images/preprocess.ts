import fs from 'node:fs';
import path from 'node:path';
import crypto from 'node:crypto';
import sharp from 'sharp';
import { MAX_INPUT_PIXELS, explainSharpError, ImageDecodeError } from './decode';
import { writeFileAtomic } from '../base/atomic-write';
import { dihedralSource, type Dihedral } from './dihedral';
import { isRefusal, readPhotoFile } from './limits';

/** How an image becomes a model input: resize the short side to size/cropFraction, centre-crop size×size. */
export interface PreprocessSpec {
  size: number;
  /** timm's crop_pct: 0.9 for the augreg ViTs (resize to 248, crop 224). */
  cropFraction: number;
  /** Per-channel normalisation applied when the uint8 pixels become floats: (x/255 - mean) / std. */
  mean: readonly [number, number, number];
  std: readonly [number, number, number];
}

export const AUGREG_PREPROCESS: PreprocessSpec = { size: 224, cropFraction: 0.9, mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5] };

/** A short stable name of the pixel-producing part of a spec, used as a cache key. */
export function preprocessKey(spec: PreprocessSpec): string {
  return `rgb${spec.size}-crop${spec.cropFraction}`;
}

/**
 * Decodes an image (EXIF-oriented, alpha flattened on white, sRGB) and returns the centre crop as uint8 RGB,
 * row-major HWC. Bicubic resizing, as timm's evaluation transform.
 */
export async function preprocessImage(bytes: Buffer, spec: PreprocessSpec): Promise<Uint8Array> {
  const resized = Math.floor(spec.size / spec.cropFraction);
  const offset = Math.floor((resized - spec.size) / 2);
  try {
    const data = await sharp(bytes, { limitInputPixels: MAX_INPUT_PIXELS, failOn: 'warning' })
      .rotate()
      .flatten({ background: '#ffffff' })
      .toColourspace('srgb')
      .resize(resized, resized, { fit: 'cover', position: 'centre', kernel: 'cubic' })
      .extract({ left: offset, top: offset, width: spec.size, height: spec.size })
      .removeAlpha()
      .raw()
      .toBuffer();
    if (data.length !== spec.size * spec.size * 3) throw new Error(`unexpected pixel buffer of ${data.length} bytes`);
    return new Uint8Array(data.buffer, data.byteOffset, data.length);
  } catch (err) {
    throw new ImageDecodeError(explainSharpError(err, bytes));
  }
}

/**
 * Preprocessed pixels on disk, keyed by the photo's sha256 and the preprocessing, so that training epochs
 * and repeated evaluations never decode a photo twice. Writes are atomic (temp file, then rename): a kill
 * leaves either the whole entry or none.
 */
export class PreprocessCache {
  readonly dir: string;

  constructor(
    root: string,
    readonly spec: PreprocessSpec,
  ) {
    this.dir = path.join(root, preprocessKey(spec));
  }

  private file(sha256: string): string {
    return path.join(this.dir, sha256.slice(0, 2), `${sha256}.rgb`);
  }

  /** Pixels for a specimen: from the cache, else decoded from `sourcePath` (and checked against the hash). */
  async get(sha256: string, sourcePath: string): Promise<Uint8Array> {
    const file = this.file(sha256);
    const expected = this.spec.size * this.spec.size * 3;
    try {
      const cached = await fs.promises.readFile(file);
      if (cached.length === expected) return new Uint8Array(cached.buffer, cached.byteOffset, cached.length);
    } catch {
      // not cached yet
    }
    const bytes = await readPhotoFile(sourcePath);
    if (isRefusal(bytes)) throw new ImageDecodeError(bytes.refused);
    const actual = crypto.createHash('sha256').update(bytes).digest('hex');
    if (actual !== sha256) throw new ImageDecodeError('the file has changed since it was catalogued (its sha256 differs)');
    const pixels = await preprocessImage(bytes, this.spec);
    await fs.promises.mkdir(path.dirname(file), { recursive: true });
    // A cache entry is size-checked when read and rebuilt when missing, so it skips the fsyncs (one per photo).
    await writeFileAtomic(file, pixels, { durable: false });
    return pixels;
  }
}

/** The cache folder that belongs to a catalogue file: next to it, so it moves and is deleted with it. */
export function cacheDirForCatalogue(cataloguePath: string): string {
  return `${cataloguePath}-cache`;
}

/**
 * Writes `(pixel/255 - mean) / std` of a square uint8 HWC image into `out` (CHW, at `offset`), after applying
 * the dihedral transform (images/dihedral.ts). Output pixel (y, x) reads input pixel T⁻¹(y, x), so the image is
 * visited once.
 */
export function writeNormalizedChw(
  pixels: Uint8Array,
  size: number,
  transform: Dihedral,
  spec: Pick<PreprocessSpec, 'mean' | 'std'>,
  out: Float32Array,
  offset: number,
): void {
  const plane = size * size;
  const scale = spec.std.map((s) => 1 / (255 * s));
  const shift = spec.mean.map((m, c) => m / spec.std[c]!);
  const source = dihedralSource(transform, size);
  for (let i = 0; i < plane; i++) {
    const src = source[i]! * 3;
    const dst = offset + i;
    out[dst] = pixels[src]! * scale[0]! - shift[0]!;
    out[dst + plane] = pixels[src + 1]! * scale[1]! - shift[1]!;
    out[dst + 2 * plane] = pixels[src + 2]! * scale[2]! - shift[2]!;
  }
}
