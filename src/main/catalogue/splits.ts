import crypto from 'node:crypto';
import { SPLITS, type Split } from '../../shared/domain';
import type { Db } from './open';

export type SplitRatios = Record<Split, number>;
export const DEFAULT_SPLIT_RATIOS: SplitRatios = { train: 8, val: 1, test: 1 };

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
