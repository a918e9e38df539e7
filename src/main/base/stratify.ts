// Stratified assignment of indivisible units (photo groups) to bins (splits, or cross-validation folds).
import crypto from 'node:crypto';

/** A unit that must stay whole: its members' classes, and the key that orders it among equals (seeded). */
export interface StratifyUnit {
  key: string;
  /** Members per class. */
  classCounts: ReadonlyMap<string, number>;
}

/**
 * Places each unit in one bin so that every class is spread over the bins in proportion to their shares.
 * Larger units go first (they are the hard ones to balance), then by key. Each unit goes to the bin whose
 * members-weighted deficit (target minus count, summed over the unit's classes) is largest; ties go to the
 * earlier bin. `counts` starts with what the bins already hold and is updated in place. For units of one
 * specimen this is the plain per-class rule "the split furthest below its share", so catalogues without groups
 * split as they always did.
 */
export function assignUnits(
  units: readonly StratifyUnit[],
  shares: readonly number[],
  counts: Map<string, number[]>,
  classTotals: ReadonlyMap<string, number>,
): number[] {
  const shareSum = shares.reduce((a, b) => a + b, 0);
  const size = (u: StratifyUnit) => [...u.classCounts.values()].reduce((a, b) => a + b, 0);
  const order = units.map((u, i) => ({ i, size: size(u), key: u.key })).sort((a, b) => b.size - a.size || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  const binOf = new Array<number>(units.length).fill(0);
  for (const { i } of order) {
    const unit = units[i]!;
    let best = 0;
    let bestDeficit = -Infinity;
    shares.forEach((share, b) => {
      if (share <= 0) return;
      let deficit = 0;
      for (const [cls, n] of unit.classCounts) {
        const target = (share / shareSum) * (classTotals.get(cls) ?? 0);
        deficit += n * (target - (counts.get(cls)?.[b] ?? 0));
      }
      if (deficit > bestDeficit) {
        bestDeficit = deficit;
        best = b;
      }
    });
    binOf[i] = best;
    for (const [cls, n] of unit.classCounts) {
      const row = counts.get(cls) ?? new Array<number>(shares.length).fill(0);
      row[best]! += n;
      counts.set(cls, row);
    }
  }
  return binOf;
}

/** A unit's place among equals for a seed: the same seed and photo always give the same order. */
export function seededKey(seed: number, sha256: string): string {
  return crypto.createHash('sha256').update(`${seed}:${sha256}`).digest('hex');
}

/** A specimen as group placement sees it: its class, its photo group, and its sha256 (the seeded order). */
export interface GroupedSpecimen {
  sha256: string;
  class: string;
  group: number;
}

/**
 * The bin of each photo group, stratified by class (assignUnits), in an order fixed by the seed: a group is one
 * unit, ordered among equals by its first member's sha256 (the smallest). Cross-validation folds and the label
 * audit's folds both place groups this way.
 */
export function placeGroups(specimens: readonly GroupedSpecimen[], shares: readonly number[], seed: number): Map<number, number> {
  const members = new Map<number, GroupedSpecimen[]>();
  const classTotals = new Map<string, number>();
  for (const s of specimens) {
    members.set(s.group, [...(members.get(s.group) ?? []), s]);
    classTotals.set(s.class, (classTotals.get(s.class) ?? 0) + 1);
  }
  const groups = [...members];
  const units: StratifyUnit[] = groups.map(([, list]) => {
    const classCounts = new Map<string, number>();
    for (const s of list) classCounts.set(s.class, (classCounts.get(s.class) ?? 0) + 1);
    const first = list.reduce((a, b) => (a.sha256 < b.sha256 ? a : b));
    return { key: seededKey(seed, first.sha256), classCounts };
  });
  const bins = assignUnits(units, shares, new Map(), classTotals);
  return new Map(groups.map(([group], i) => [group, bins[i]!]));
}
