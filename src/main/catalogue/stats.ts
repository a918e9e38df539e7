import { type CatalogueStats, type ClassStats, type Split } from '../../shared/domain';
import { effectiveNumberWeights, inverseFrequencyWeights, DEFAULT_EFFECTIVE_BETA } from '../../shared/weights';
import type { Db } from './open';

type SplitCounts = Record<Split, number> & { unassigned: number };
const emptySplits = (): SplitCounts => ({ train: 0, val: 0, test: 0, unassigned: 0 });

/**
 * Per-class counts, shares, both weightings and per-split counts over the labeled specimens that training sees:
 * excluded photos are counted once, as `excluded`, and in no class, split or weight.
 */
export function catalogueStats(db: Db, beta = DEFAULT_EFFECTIVE_BETA): CatalogueStats {
  const classes = db.prepare('SELECT id, name FROM classes WHERE merged_into IS NULL ORDER BY name COLLATE NOCASE').all() as {
    id: number;
    name: string;
  }[];
  const rows = db
    .prepare('SELECT label_class_id AS classId, split, excluded_at IS NOT NULL AS excluded, COUNT(*) AS n FROM specimens GROUP BY 1, 2, 3')
    .all() as { classId: number | null; split: Split | null; excluded: number; n: number }[];
  const perClass = new Map<number, SplitCounts>(classes.map((c) => [c.id, emptySplits()]));
  const totals = emptySplits();
  let total = 0;
  let unlabeled = 0;
  let excluded = 0;
  for (const r of rows) {
    total += r.n;
    if (r.excluded) {
      excluded += r.n;
      continue;
    }
    if (r.classId === null) {
      unlabeled += r.n;
      continue;
    }
    const key = r.split ?? 'unassigned';
    totals[key] += r.n;
    const c = perClass.get(r.classId);
    if (c) c[key] += r.n;
  }
  const counts = classes.map((c) => {
    const s = perClass.get(c.id)!;
    return s.train + s.val + s.test + s.unassigned;
  });
  const labeled = counts.reduce((a, b) => a + b, 0);
  const inverse = inverseFrequencyWeights(counts);
  const effective = effectiveNumberWeights(counts, beta);
  const present = counts.filter((n) => n > 0);
  const nMax = present.length ? Math.max(...present) : 0;
  const nMin = present.length ? Math.min(...present) : 0;
  const classStats: ClassStats[] = classes.map((c, i) => ({
    name: c.name,
    count: counts[i]!,
    share: labeled > 0 ? counts[i]! / labeled : 0,
    weightInverse: inverse[i]!,
    weightEffective: effective[i]!,
    imbalanceRatio: counts[i]! > 0 ? nMax / counts[i]! : 0,
    splits: perClass.get(c.id)!,
  }));
  return {
    total,
    labeled,
    unlabeled,
    excluded,
    classCount: classes.length,
    beta,
    imbalanceRatio: nMin > 0 ? nMax / nMin : 0,
    classes: classStats,
    splits: totals,
  };
}
