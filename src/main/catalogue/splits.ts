import { SPLITS, type Split } from '../../shared/domain';
import { DEFAULT_SPLIT_RATIOS, type SplitRatios } from '../../shared/schemas/splits';
import { assignUnits, seededKey, type StratifyUnit } from '../base/stratify';
import { photoGroups } from './groups';
import { createLabelOp } from './labels';
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
 * Stratified, group-aware assignment of labeled specimens that have no split yet. Excluded photos are neither
 * assigned nor counted (an excluded photo keeps the split it had, for when it is included again). A photo group (groups.ts: one
 * rock, by sample code or near-duplicate photos) is never spread over two splits: a new specimen whose group
 * already has a split joins it (the split of the group's first specimen that has one), and groups with no split
 * yet are placed whole, stratified by class (base/stratify.ts). Groups are taken in an order fixed by (seed,
 * sha256). Existing assignments never move, so specimens added later do not reshuffle the earlier ones, and the
 * same catalogue with the same seed always splits the same way. Leaks made before groups existed are reported
 * by splitAudit and moved only by fixSplitLeaks, on request.
 */
export function assignSplits(db: Db, seed: number, ratios: SplitRatios = DEFAULT_SPLIT_RATIOS): SplitResult {
  return db.transaction(() => {
    const rows = db
      .prepare(
        `SELECT s.id, s.sha256, s.split, c.name AS class FROM specimens s JOIN classes c ON c.id = s.label_class_id
          WHERE s.excluded_at IS NULL ORDER BY s.id`,
      )
      .all() as { id: number; sha256: string; split: Split | null; class: string }[];
    const unlabeled = (db.prepare('SELECT COUNT(*) AS n FROM specimens WHERE label_class_id IS NULL AND excluded_at IS NULL').get() as { n: number }).n;
    const { groupOf } = photoGroups(db);
    const byGroup = new Map<number, typeof rows>();
    for (const r of rows) {
      const g = groupOf.get(r.id) ?? r.id;
      byGroup.set(g, [...(byGroup.get(g) ?? []), r]);
    }
    const counts = new Map<string, number[]>();
    const classTotals = new Map<string, number>();
    const credit = (cls: string, split: Split) => {
      const row = counts.get(cls) ?? [0, 0, 0];
      row[SPLITS.indexOf(split)]! += 1;
      counts.set(cls, row);
    };
    for (const r of rows) {
      classTotals.set(r.class, (classTotals.get(r.class) ?? 0) + 1);
      if (r.split) credit(r.class, r.split);
    }
    const update = db.prepare('UPDATE specimens SET split = ? WHERE id = ?');
    let assigned = 0;
    const alreadyAssigned = rows.filter((r) => r.split !== null).length;
    const units: { members: typeof rows; unit: StratifyUnit }[] = [];
    for (const members of byGroup.values()) {
      const pending = members.filter((m) => m.split === null);
      if (pending.length === 0) continue;
      const joined = members.find((m) => m.split !== null)?.split;
      if (joined) {
        for (const m of pending) {
          update.run(joined, m.id);
          credit(m.class, joined);
          assigned++;
        }
        continue;
      }
      const classCounts = new Map<string, number>();
      for (const m of pending) classCounts.set(m.class, (classCounts.get(m.class) ?? 0) + 1);
      units.push({ members: pending, unit: { key: seededKey(seed, pending[0]!.sha256), classCounts } });
    }
    const bins = assignUnits(units.map((u) => u.unit), SPLITS.map((s) => ratios[s]), counts, classTotals);
    units.forEach((u, i) => {
      for (const m of u.members) {
        update.run(SPLITS[bins[i]!]!, m.id);
        assigned++;
      }
    });
    const perClass: SplitResult['perClass'] = {};
    for (const cls of classTotals.keys()) {
      const c = counts.get(cls) ?? [0, 0, 0];
      perClass[cls] = { train: c[0]!, val: c[1]!, test: c[2]! };
    }
    db.prepare(`INSERT INTO settings (key, value) VALUES ('split_seed', ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value`).run(String(seed));
    return { assigned, alreadyAssigned, unlabeled, perClass };
  })();
}

/** A photo group whose specimens lie in more than one split: the model is tested on photos of a rock it trained on. */
export interface SplitLeak {
  group: number;
  specimens: { id: number; sha256: string; path: string; split: Split | null }[];
}

export interface SplitAudit {
  /** Groups of two or more specimens. */
  groups: number;
  grouped_specimens: number;
  leaks: SplitLeak[];
}

/**
 * The groups that span splits (members without a split are listed, but do not make a leak on their own).
 * Excluded photos are left out: nothing trains or is tested on them, so they cannot leak; a group counts while
 * two or more of its photos are included.
 */
export function splitAudit(db: Db): SplitAudit {
  const { members } = photoGroups(db);
  const get = stmt(db, 'SELECT id, sha256, path, split, excluded_at FROM specimens WHERE id = ?');
  const leaks: SplitLeak[] = [];
  let groups = 0;
  let grouped = 0;
  for (const [group, ids] of members) {
    const specimens = ids
      .map((id) => get.get(id) as SplitLeak['specimens'][number] & { excluded_at: string | null })
      .filter((s) => s.excluded_at === null)
      .map(({ excluded_at: _excluded, ...s }) => s);
    if (specimens.length < 2) continue;
    groups++;
    grouped += specimens.length;
    if (new Set(specimens.map((s) => s.split).filter((s) => s !== null)).size > 1) leaks.push({ group, specimens });
  }
  return { groups, grouped_specimens: grouped, leaks };
}

export interface SplitFix {
  /** The undoable operation (orelab undo reverts it), 0 when nothing leaked. */
  opId: number;
  moved: { id: number; from: Split; to: Split }[];
}

/**
 * Moves every leaking group's specimens to the split of the group's first specimen that has one, as one
 * operation in the label history: `orelab undo` (or the app's undo) puts them back.
 */
export function fixSplitLeaks(db: Db): SplitFix {
  return db.transaction(() => {
    const moved: SplitFix['moved'] = [];
    const { leaks } = splitAudit(db);
    for (const leak of leaks) {
      const to = leak.specimens.find((s) => s.split !== null)!.split!;
      for (const s of leak.specimens) if (s.split !== null && s.split !== to) moved.push({ id: s.id, from: s.split, to });
    }
    if (moved.length === 0) return { opId: 0, moved };
    const opId = createLabelOp(db, 'manual', SPLIT_FIX_KIND, `moved ${moved.length} specimens of ${leaks.length} photo groups into one split each`, { moves: moved });
    const update = stmt(db, 'UPDATE specimens SET split = ? WHERE id = ?');
    for (const m of moved) update.run(m.to, m.id);
    return { opId, moved };
  })();
}

/** The label-history kind of a split fix; undo reads its payload's moves. */
export const SPLIT_FIX_KIND = 'split-fix';



/** The seed of the last split made (training splits newly labeled specimens with it), or null before any. */
export function storedSplitSeed(db: Db): number | null {
  const row = stmt(db, `SELECT value FROM settings WHERE key = 'split_seed'`).get() as { value: string } | undefined;
  return row === undefined ? null : Number(row.value);
}

/** Labeled specimens without a split yet (excluded photos are never split). */
export function countUnsplitLabeled(db: Db): number {
  return (stmt(db, 'SELECT COUNT(*) AS n FROM specimens WHERE label_class_id IS NOT NULL AND split IS NULL AND excluded_at IS NULL').get() as { n: number }).n;
}

/**
 * Every labeled specimen with a split, under an active class, by sha256: the raw material of a training dataset.
 * Excluded photos are left out (so of the class counts behind class weights too).
 */
export function splitLabeledSpecimens(db: Db): { id: number; sha256: string; path: string; split: Split; class: string }[] {
  return stmt(
    db,
    `SELECT s.id, s.sha256, s.path, s.split, c.name AS class FROM specimens s JOIN classes c ON c.id = s.label_class_id
      WHERE s.split IS NOT NULL AND c.merged_into IS NULL AND s.excluded_at IS NULL ORDER BY s.sha256`,
  ).all() as { id: number; sha256: string; path: string; split: Split; class: string }[];
}

/** Every labeled, included specimen under an active class, by sha256, split or not: what cross-validation folds. */
export function activeLabeledSpecimens(db: Db): { id: number; sha256: string; path: string; split: Split | null; class: string }[] {
  return stmt(
    db,
    `SELECT s.id, s.sha256, s.path, s.split, c.name AS class FROM specimens s JOIN classes c ON c.id = s.label_class_id
      WHERE c.merged_into IS NULL AND s.excluded_at IS NULL ORDER BY s.sha256`,
  ).all() as { id: number; sha256: string; path: string; split: Split | null; class: string }[];
}
