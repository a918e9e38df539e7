// Cross-validation runs and their out-of-fold predictions: the prediction set a run is named by, one
// prediction per labeled specimen it covered, each from the fold model that never saw the specimen.
import type { RunStatus } from './runs';
import { stmt, type Db } from './open';
import { nowIso } from './time';

export interface CvRunRecord {
  id: number;
  name: string;
  createdAt: string;
  finishedAt: string | null;
  status: RunStatus;
  folds: number;
  outDir: string;
  config: Record<string, unknown>;
  classes: string[];
  /** The run's cv.json summary, once it finished. */
  summary: Record<string, unknown> | null;
}

export interface OutOfFoldPrediction {
  specimenId: number;
  fold: number;
  /** The catalogue label the specimen was scored against. */
  label: string;
  predictedClass: string;
  confidence: number;
  /** In the run's class order. */
  probabilities: number[];
  loss: number | null;
}

type CvRow = Omit<CvRunRecord, 'config' | 'classes' | 'summary'> & { config: string; classes: string; summary: string | null };
const CV_COLUMNS = 'id, name, created_at AS createdAt, finished_at AS finishedAt, status, folds, out_dir AS outDir, config, classes, summary';

function toCvRun(r: CvRow): CvRunRecord {
  return {
    ...r,
    config: JSON.parse(r.config) as Record<string, unknown>,
    classes: JSON.parse(r.classes) as string[],
    summary: r.summary === null ? null : (JSON.parse(r.summary) as Record<string, unknown>),
  };
}

export function findCvRun(db: Db, name: string): CvRunRecord | undefined {
  const row = stmt(db, `SELECT ${CV_COLUMNS} FROM cv_runs WHERE name = ?`).get(name) as CvRow | undefined;
  return row ? toCvRun(row) : undefined;
}

export function cvRuns(db: Db): CvRunRecord[] {
  return (stmt(db, `SELECT ${CV_COLUMNS} FROM cv_runs ORDER BY id DESC`).all() as CvRow[]).map(toCvRun);
}

/** Records a new run (status running), or takes over the one of that name, forgetting its earlier predictions. */
export function startCvRun(db: Db, r: Pick<CvRunRecord, 'name' | 'folds' | 'outDir' | 'config' | 'classes'>, options: { fresh: boolean }): number {
  return db.transaction(() => {
    const existing = findCvRun(db, r.name);
    if (existing) {
      if (options.fresh) stmt(db, 'DELETE FROM cv_predictions WHERE cv_run_id = ?').run(existing.id);
      stmt(db, `UPDATE cv_runs SET status = 'running', finished_at = NULL, folds = ?, out_dir = ?, config = ?, classes = ? WHERE id = ?`).run(
        r.folds,
        r.outDir,
        JSON.stringify(r.config),
        JSON.stringify(r.classes),
        existing.id,
      );
      return existing.id;
    }
    return Number(
      stmt(db, `INSERT INTO cv_runs (name, created_at, status, folds, out_dir, config, classes) VALUES (?, ?, 'running', ?, ?, ?, ?)`).run(
        r.name,
        nowIso(),
        r.folds,
        r.outDir,
        JSON.stringify(r.config),
        JSON.stringify(r.classes),
      ).lastInsertRowid,
    );
  })();
}

export function finishCvRun(db: Db, id: number, status: Exclude<RunStatus, 'running'>, summary: Record<string, unknown> | null): void {
  stmt(db, 'UPDATE cv_runs SET status = ?, finished_at = ?, summary = ? WHERE id = ?').run(status, nowIso(), summary === null ? null : JSON.stringify(summary), id);
}

/** Records one fold's out-of-fold predictions, replacing any the fold had, in one transaction. */
export function putOutOfFoldPredictions(db: Db, runId: number, fold: number, predictions: readonly OutOfFoldPrediction[]): void {
  db.transaction(() => {
    stmt(db, 'DELETE FROM cv_predictions WHERE cv_run_id = ? AND fold = ?').run(runId, fold);
    const insert = stmt(
      db,
      `INSERT OR REPLACE INTO cv_predictions (cv_run_id, specimen_id, fold, label, predicted_class, confidence, probabilities, loss, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    const at = nowIso();
    for (const p of predictions) insert.run(runId, p.specimenId, fold, p.label, p.predictedClass, p.confidence, JSON.stringify(p.probabilities), p.loss, at);
  })();
}

/** A run's out-of-fold predictions, by specimen id. */
export function outOfFoldPredictions(db: Db, runId: number): OutOfFoldPrediction[] {
  const rows = stmt(
    db,
    `SELECT specimen_id AS specimenId, fold, label, predicted_class AS predictedClass, confidence, probabilities, loss
       FROM cv_predictions WHERE cv_run_id = ? ORDER BY specimen_id`,
  ).all(runId) as (Omit<OutOfFoldPrediction, 'probabilities'> & { probabilities: string })[];
  return rows.map((r) => ({ ...r, probabilities: JSON.parse(r.probabilities) as number[] }));
}
