// The reads that inference needs from the catalogue: what a model already predicted (so classification can
// resume without running it again), how many predictions each model has, the labels a split is scored on.
import type { Split } from '../../shared/domain';
import { stmt, type Db } from './open';

/** Every prediction of one kind (with or without TTA) a model has recorded, by the photo's sha256 (probabilities in the model's class order). */
export function predictedProbabilitiesBySha(db: Db, modelId: string, tta: boolean): Map<string, number[]> {
  const rows = stmt(db, 'SELECT s.sha256, p.probabilities FROM predictions p JOIN specimens s ON s.id = p.specimen_id WHERE p.model_id = ? AND p.tta = ?').all(modelId, tta ? 1 : 0) as {
    sha256: string;
    probabilities: string;
  }[];
  const out = new Map<string, number[]>();
  for (const r of rows) if (!out.has(r.sha256)) out.set(r.sha256, JSON.parse(r.probabilities) as number[]);
  return out;
}

/** How many predictions each model has recorded (models without any are absent). */
export function predictionCounts(db: Db): Map<string, number> {
  const rows = stmt(db, 'SELECT model_id AS id, COUNT(*) AS n FROM predictions GROUP BY model_id').all() as { id: string; n: number }[];
  return new Map(rows.map((r) => [r.id, r.n]));
}

export function predictionCount(db: Db, modelId: string): number {
  return (stmt(db, 'SELECT COUNT(*) AS n FROM predictions WHERE model_id = ?').get(modelId) as { n: number }).n;
}

/** The name of a specimen's catalogue label, or null when it has none. */
export function specimenLabelName(db: Db, specimenId: number): string | null {
  const row = stmt(db, 'SELECT c.name FROM specimens s JOIN classes c ON c.id = s.label_class_id WHERE s.id = ?').get(specimenId) as { name: string } | undefined;
  return row?.name ?? null;
}

/** The labeled specimens of a split, in id order, excluded photos left out: what an evaluation scores. */
export function labeledSplitSpecimens(db: Db, split: Split): { id: number; sha256: string; path: string; class: string }[] {
  return stmt(
    db,
    `SELECT s.id, s.sha256, s.path, c.name AS class FROM specimens s JOIN classes c ON c.id = s.label_class_id
      WHERE s.split = ? AND s.excluded_at IS NULL ORDER BY s.id`,
  ).all(split) as { id: number; sha256: string; path: string; class: string }[];
}

/** One stored prediction with its specimen's path, hash, label and flag: a row of the exported reports. */
export interface StoredPrediction {
  specimenId: number;
  path: string;
  sha256: string;
  /** JSON array, in the model's class order. */
  probabilities: string;
  label: string | null;
  flagged: number;
  /** 1 when the photo is excluded from training and evaluation: exported, but left out of metrics. */
  excluded: number;
  created_at: string;
}

/** A model's stored predictions, of every specimen or of one split's, by path. */
export function storedPredictions(db: Db, modelId: string, split?: Split): StoredPrediction[] {
  const sql = `SELECT s.id AS specimenId, s.path, s.sha256, p.probabilities, c.name AS label, s.flagged, s.excluded_at IS NOT NULL AS excluded, p.created_at
     FROM predictions p JOIN specimens s ON s.id = p.specimen_id LEFT JOIN classes c ON c.id = s.label_class_id
    WHERE p.model_id = ? ${split ? 'AND s.split = ?' : ''} ORDER BY s.path`;
  return stmt(db, sql).all(...(split ? [modelId, split] : [modelId])) as StoredPrediction[];
}
