import crypto from 'node:crypto';
import { SPLITS, type Split } from '../../shared/domain';
import { DEFAULT_SPLIT_RATIOS, type SplitRatios } from '../../shared/schemas/splits';
import { stmt, type Db } from './open';

// One default for the CLI, the app and training: the schema's.
export { DEFAULT_SPLIT_RATIOS, type SplitRatios };

export function parseRatios(text: string): SplitRatios {
  const parts = text.split(':').map((p) => Number(p.trim()));
  if (parts.length !== 3 || parts.some((p) => !Number.isFinite(p) || p < 0) || parts.every((p) => p === 0)) {
    throw new RangeError(`--ratios must be three non-negative numbers like 8:1:1, got "${text}"`);
  }
  return { train: parts[0]!, val: parts[1]!, test: parts[2]! };
}

export interface SplitResult {
  assigned: number;
  alreadyAssigned: number;
  unlabeled: number;
  perClass: Record<string, Record<Split, number>>;
}

/**
 * Stratified assignment of labeled specimens that have no split yet. Within each class, new specimens are
 * taken in an order fixed by (seed, sha256), and each goes to the split furthest below its share of the
 * class's final size. Existing assignments never move, so specimens added later do not reshuffle the
 * earlier ones, and the same catalogue with the same seed always splits the same way.
 */
export function assignSplits(db: Db, seed: number, ratios: SplitRatios = DEFAULT_SPLIT_RATIOS): SplitResult {
  const ratioSum = ratios.train + ratios.val + ratios.test;
  return db.transaction(() => {
    const rows = db
      .prepare(
        `SELECT s.id, s.sha256, s.split, c.name AS class FROM specimens s JOIN classes c ON c.id = s.label_class_id`,
      )
      .all() as { id: number; sha256: string; split: Split | null; class: string }[];
    const unlabeled = (db.prepare('SELECT COUNT(*) AS n FROM specimens WHERE label_class_id IS NULL').get() as { n: number }).n;
    const byClass = new Map<string, typeof rows>();
    for (const r of rows) {
      const list = byClass.get(r.class) ?? [];
      list.push(r);
      byClass.set(r.class, list);
    }
    const update = db.prepare('UPDATE specimens SET split = ? WHERE id = ?');
    let assigned = 0;
    let alreadyAssigned = 0;
    const perClass: SplitResult['perClass'] = {};
    for (const [className, members] of byClass) {
      const counts: Record<Split, number> = { train: 0, val: 0, test: 0 };
      const pending: { id: number; key: string }[] = [];
      for (const m of members) {
        if (m.split) {
          counts[m.split]++;
          alreadyAssigned++;
        } else {
          pending.push({ id: m.id, key: orderKey(seed, m.sha256) });
        }
      }
      pending.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
      const finalSize = members.length;
      for (const p of pending) {
        let best: Split = 'train';
        let bestDeficit = -Infinity;
        for (const split of SPLITS) {
          const target = (ratios[split] / ratioSum) * finalSize;
          const deficit = ratios[split] > 0 ? target - counts[split] : -Infinity;
          if (deficit > bestDeficit) {
            bestDeficit = deficit;
            best = split;
          }
        }
        counts[best]++;
        update.run(best, p.id);
        assigned++;
      }
      perClass[className] = counts;
    }
    db.prepare(`INSERT INTO settings (key, value) VALUES ('split_seed', ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value`).run(String(seed));
    return { assigned, alreadyAssigned, unlabeled, perClass };
  })();
}

function orderKey(seed: number, sha256: string): string {
  return crypto.createHash('sha256').update(`${seed}:${sha256}`).digest('hex');
}

/** The seed of the last split made (training splits newly labeled specimens with it), or null before any. */
export function storedSplitSeed(db: Db): number | null {
  const row = stmt(db, `SELECT value FROM settings WHERE key = 'split_seed'`).get() as { value: string } | undefined;
  return row === undefined ? null : Number(row.value);
}

/** Labeled specimens without a split yet. */
export function countUnsplitLabeled(db: Db): number {
  return (stmt(db, 'SELECT COUNT(*) AS n FROM specimens WHERE label_class_id IS NOT NULL AND split IS NULL').get() as { n: number }).n;
}

/** Every labeled specimen with a split, under an active class, by sha256: the raw material of a training dataset. */
export function splitLabeledSpecimens(db: Db): { id: number; sha256: string; path: string; split: Split; class: string }[] {
  return stmt(
    db,
    `SELECT s.id, s.sha256, s.path, s.split, c.name AS class FROM specimens s JOIN classes c ON c.id = s.label_class_id
      WHERE s.split IS NOT NULL AND c.merged_into IS NULL ORDER BY s.sha256`,
  ).all() as { id: number; sha256: string; path: string; split: Split; class: string }[];
}
