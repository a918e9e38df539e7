// Group-aware stratified k-fold: every photo group (one rock) in one fold, each class spread evenly over the
// folds; inside a fold's training part, a group-aware validation share that picks the kept epoch. The held-out
// fold is never seen by the model that predicts it, neither to train nor to choose its epoch.
import { UserError } from '../../../shared/errors';
import type { Split } from '../../../shared/domain';
import { placeGroups } from '../../base/stratify';

export interface FoldSpecimen {
  id: number;
  sha256: string;
  class: string;
  /** Its photo group (groups.ts), named by the group's first specimen id. */
  group: number;
}

export interface FoldPlan {
  folds: number;
  /** The fold (0-based) that holds out each specimen. */
  foldOf: Map<number, number>;
  /** Fold k's split: the held-out fold as 'test', the rest as 'train' and 'val'. */
  assignment(fold: number): Map<number, Split>;
}

/** The validation share inside each fold's training part: the catalogue's 8:1 of train to val. */
const INNER_SHARES = [8, 1];

/**
 * Plans K folds over the labeled specimens, or refuses K with a message that names the class that limits it:
 * a class needs photos of at least K rocks (groups) so that every fold holds some out.
 */
export function planFolds(specimens: readonly FoldSpecimen[], folds: number, seed: number): FoldPlan {
  if (!Number.isInteger(folds) || folds < 2) throw new UserError('invalid-input', `--folds must be a whole number of at least 2, got ${folds}`);
  const groupsOfClass = new Map<string, Set<number>>();
  for (const s of specimens) groupsOfClass.set(s.class, (groupsOfClass.get(s.class) ?? new Set()).add(s.group));
  const [limiting, groups] = [...groupsOfClass].sort(([a, x], [b, y]) => x.size - y.size || a.localeCompare(b))[0] ?? ['', new Set()];
  if (groups.size < folds) {
    const photos = specimens.filter((s) => s.class === limiting).length;
    const rocks = `its ${photos} labeled photos are of ${groups.size} ${groups.size === 1 ? 'rock' : 'rocks'} (photo groups), and each fold must hold one out`;
    throw new UserError(
      'invalid-input',
      groups.size < 2
        ? `cross-validation needs photos of at least 2 rocks of every class, and "${limiting}" has 1: ${rocks}; label photos of more "${limiting}" specimens`
        : `--folds ${folds} is more than "${limiting}" allows: ${rocks}; use --folds ${groups.size} or fewer`,
    );
  }
  const foldOfGroup = placeGroups(specimens, new Array<number>(folds).fill(1), seed);
  const foldOf = new Map(specimens.map((s) => [s.id, foldOfGroup.get(s.group)!]));
  return {
    folds,
    foldOf,
    assignment(fold: number): Map<number, Split> {
      const rest = specimens.filter((s) => foldOf.get(s.id) !== fold);
      const inner = placeGroups(rest, INNER_SHARES, seed);
      // A small training part can round its 1/9 share to nothing; the kept epoch needs a validation set, so the
      // smallest group (last in the placing order) goes there.
      if (![...inner.values()].includes(1)) {
        const sizes = new Map<number, number>();
        for (const s of rest) sizes.set(s.group, (sizes.get(s.group) ?? 0) + 1);
        const smallest = [...sizes].sort(([ga, a], [gb, b]) => a - b || gb - ga)[0];
        if (smallest && sizes.size > 1) inner.set(smallest[0], 1);
      }
      const out = new Map<number, Split>();
      for (const s of specimens) out.set(s.id, foldOf.get(s.id) === fold ? 'test' : inner.get(s.group) === 0 ? 'train' : 'val');
      return out;
    },
  };
}
