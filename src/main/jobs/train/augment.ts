// Geometric augmentation on uint8 HWC pixels (flips and 90° rotations only: colour and lustre identify minerals,
// so they are never changed).

// The transform group lives in images/dihedral.ts (test-time augmentation averages over it), the float
// conversion in images/preprocess.ts, the PRNG in base/random.ts; they are re-exported for the trainer's modules.
import type { Dihedral } from '../../images/dihedral';

export { IDENTITY, type Dihedral } from '../../images/dihedral';
export { writeNormalizedChw } from '../../images/preprocess';
export { mixSeed, mulberry32 } from '../../base/random';

/**
 * A uniform draw from the group: the 16 (flipH, flipV, turns) triples name each of its 8 elements twice. Kept
 * as three draws rather than one pick from DIHEDRAL_GROUP so that a seed gives the same augmentation (and the
 * same trained model) as before the group moved.
 */
export function randomDihedral(random: () => number): Dihedral {
  return { flipH: random() < 0.5, flipV: random() < 0.5, quarterTurns: Math.floor(random() * 4) as Dihedral['quarterTurns'] };
}
