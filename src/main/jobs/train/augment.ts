// Geometric augmentation on uint8 HWC pixels (flips and 90° rotations only: colour and lustre identify minerals,
// so they are never changed).

// The transform type and the float conversion live in images/preprocess.ts (classification and attention maps
// use them too), the PRNG in base/random.ts; they are re-exported for the trainer's modules.
import type { Dihedral } from '../../images/preprocess';

export { IDENTITY, writeNormalizedChw, type Dihedral } from '../../images/preprocess';
export { mixSeed, mulberry32 } from '../../base/random';

export function randomDihedral(random: () => number): Dihedral {
  return { flipH: random() < 0.5, flipV: random() < 0.5, quarterTurns: Math.floor(random() * 4) as Dihedral['quarterTurns'] };
}
