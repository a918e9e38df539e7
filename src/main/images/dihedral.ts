// The square's symmetry group (flips and quarter turns) on square images: the training augmentation draws from
// it (jobs/train/augment.ts randomDihedral) and test-time augmentation averages over all of it
// (jobs/batch-classifier.ts). Colour is never touched: colour and lustre identify minerals.

/** One element of the square's symmetry group: optional horizontal flip, optional vertical flip, then k quarter turns. */
export interface Dihedral {
  flipH: boolean;
  flipV: boolean;
  quarterTurns: 0 | 1 | 2 | 3;
}

/** No transform: what classification, evaluation and attention maps feed the model. */
export const IDENTITY: Dihedral = { flipH: false, flipV: false, quarterTurns: 0 };

/**
 * The 8 distinct elements of the group, identity first. The (flipH, flipV, turns) triples name 16, but both
 * flips equal a half turn, so the 4 quarter turns with and without a horizontal flip are all of them
 * (test/classify/tta.test.ts checks that they are 8 distinct pixel permutations and that the training
 * augmentation's 16 triples give the same 8).
 */
export const DIHEDRAL_GROUP: readonly Dihedral[] = [false, true].flatMap((flipH) =>
  ([0, 1, 2, 3] as const).map((quarterTurns): Dihedral => ({ flipH, flipV: false, quarterTurns })),
);

const sourceTables = new Map<string, Int32Array>();

/**
 * For each output pixel (y·size + x) of a transformed size×size image, the input pixel it reads: T⁻¹(y, x).
 * Computed once per transform and size (a 224² table is 200 KB; 16 triples at most), so applying a transform
 * is one indexed copy per pixel: writeNormalizedChw went from 1.6 to 1.1 ms per 224² image with it (same output,
 * 800 images, this 2-core box), against the per-pixel turn loop it replaces.
 */
export function dihedralSource(transform: Dihedral, size: number): Int32Array {
  const key = `${size}:${+transform.flipH}${+transform.flipV}${transform.quarterTurns}`;
  let table = sourceTables.get(key);
  if (table) return table;
  table = new Int32Array(size * size);
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
      table[y * size + x] = sy * size + sx;
    }
  }
  sourceTables.set(key, table);
  return table;
}

/**
 * Writes the transformed copy of a CHW float image (`channels` planes of size×size, at `inOffset`) into `out`
 * at `outOffset`: the normalised model input, transformed after normalisation (the two commute: normalising
 * is per pixel).
 */
export function writeDihedralChw(input: Float32Array, inOffset: number, size: number, channels: number, transform: Dihedral, out: Float32Array, outOffset: number): void {
  const source = dihedralSource(transform, size);
  const plane = size * size;
  for (let c = 0; c < channels; c++) {
    const from = inOffset + c * plane;
    const to = outOffset + c * plane;
    for (let i = 0; i < plane; i++) out[to + i] = input[from + source[i]!]!;
  }
}
