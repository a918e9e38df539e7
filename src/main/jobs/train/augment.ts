// Geometric augmentation on uint8 HWC pixels, and conversion to the model's normalised float CHW input.
// The recipe allows only flips and 90° rotations: colour and lustre identify minerals, so they are never changed.

import type { PreprocessSpec } from '../../images/preprocess';

/** One element of the square's symmetry group: optional horizontal flip, optional vertical flip, then k quarter turns. */
export interface Dihedral {
  flipH: boolean;
  flipV: boolean;
  quarterTurns: 0 | 1 | 2 | 3;
}

export const IDENTITY: Dihedral = { flipH: false, flipV: false, quarterTurns: 0 };

/** A small, fast, seedable PRNG (mulberry32): the same seed always gives the same augmentation stream. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Mixes integers into one 32-bit seed (for per-epoch, per-sample streams). */
export function mixSeed(...parts: number[]): number {
  let h = 0x811c9dc5;
  for (const p of parts) {
    h = Math.imul(h ^ (p >>> 0), 0x01000193);
    h = Math.imul(h ^ (h >>> 15), 0x2c1b3c6d);
    h ^= h >>> 12;
  }
  return h >>> 0;
}

export function randomDihedral(random: () => number): Dihedral {
  return { flipH: random() < 0.5, flipV: random() < 0.5, quarterTurns: Math.floor(random() * 4) as Dihedral['quarterTurns'] };
}

/**
 * Writes `(pixel/255 - mean) / std` of a square uint8 HWC image into `out` (CHW, at `offset`), after applying
 * the dihedral transform. Output pixel (y, x) reads input pixel T⁻¹(y, x), so the image is visited once.
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
  const last = size - 1;
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      // Undo the rotation (counter-clockwise quarter turns), then the flips.
      let sy = y;
      let sx = x;
      for (let k = 0; k < transform.quarterTurns; k++) {
        const ty = sy;
        sy = sx;
        sx = last - ty;
      }
      if (transform.flipV) sy = last - sy;
      if (transform.flipH) sx = last - sx;
      const src = (sy * size + sx) * 3;
      const dst = offset + y * size + x;
      out[dst] = pixels[src]! * scale[0]! - shift[0]!;
      out[dst + plane] = pixels[src + 1]! * scale[1]! - shift[1]!;
      out[dst + 2 * plane] = pixels[src + 2]! * scale[2]! - shift[2]!;
    }
  }
}
