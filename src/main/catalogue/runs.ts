import { stmt, type Db } from './open';
import { nowIso } from './time';

export type RunStatus = 'running' | 'completed' | 'failed' | 'cancelled';

export interface TrainingRunRecord {
  id: number;
  createdAt: string;
  finishedAt: string | null;
  status: RunStatus;
  variant: string;
  backbone: string;
  config: Record<string, unknown>;
  outDir: string;
  datasetHash: string;
  classes: string[];
  classWeights: number[];
  bestEpoch: number | null;
  bestValAccuracy: number | null;
  error: string | null;
}

export interface EpochMetricsRecord {
  epoch: number;
  trainLoss: number;
  trainAccuracy: number;
  valLoss: number | null;
  valAccuracy: number | null;
  valMacroF1: number | null;
  learningRate: number;
  seconds: number;
  imagesPerSecond: number;
  /** Whether this epoch's weights are the kept (best-validation) ones at the time it finished. */
  kept: boolean;
}

type RunRow = Omit<TrainingRunRecord, 'config' | 'classes' | 'classWeights'> & { config: string; classes: string; classWeights: string };

const RUN_COLUMNS = `id, created_at AS createdAt, finished_at AS finishedAt, status, variant, backbone, config, out_dir AS outDir,
  dataset_hash AS datasetHash, classes, class_weights AS classWeights, best_epoch AS bestEpoch, best_val_accuracy AS bestValAccuracy, error`;

function toRun(r: RunRow): TrainingRunRecord {
  return {
    ...r,
    config: JSON.parse(r.config) as Record<string, unknown>,
    classes: JSON.parse(r.classes) as string[],
    classWeights: JSON.parse(r.classWeights) as number[],
  };
}

export function createRun(
  db: Db,
  r: Pick<TrainingRunRecord, 'variant' | 'backbone' | 'config' | 'outDir' | 'datasetHash' | 'classes' | 'classWeights'>,
): number {
  return Number(
    stmt(
      db,
      `INSERT INTO training_runs (created_at, status, variant, backbone, config, out_dir, dataset_hash, classes, class_weights)
       VALUES (?, 'running', ?, ?, ?, ?, ?, ?, ?)`,
    ).run(nowIso(), r.variant, r.backbone, JSON.stringify(r.config), r.outDir, r.datasetHash, JSON.stringify(r.classes), JSON.stringify(r.classWeights))
      .lastInsertRowid,
  );
}

export function getRun(db: Db, id: number): TrainingRunRecord | undefined {
  const row = stmt(db, `SELECT ${RUN_COLUMNS} FROM training_runs WHERE id = ?`).get(id) as RunRow | undefined;
  return row && toRun(row);
}

export function listRuns(db: Db): TrainingRunRecord[] {
  return (stmt(db, `SELECT ${RUN_COLUMNS} FROM training_runs ORDER BY id DESC`).all() as RunRow[]).map(toRun);
}

/** The newest unfinished run (killed, cancelled or failed) that wrote to this output folder. */
export function findUnfinishedRun(db: Db, outDir: string): TrainingRunRecord | undefined {
  const row = stmt(db, `SELECT ${RUN_COLUMNS} FROM training_runs WHERE out_dir = ? AND status != 'completed' ORDER BY id DESC LIMIT 1`).get(outDir) as
    | RunRow
    | undefined;
  return row && toRun(row);
}

export function setRunStatus(db: Db, id: number, status: RunStatus, error: string | null = null): void {
  stmt(db, `UPDATE training_runs SET status = ?, error = ?, finished_at = ? WHERE id = ?`).run(status, error, status === 'running' ? null : nowIso(), id);
}

export function setRunBest(db: Db, id: number, epoch: number, valAccuracy: number): void {
  stmt(db, 'UPDATE training_runs SET best_epoch = ?, best_val_accuracy = ? WHERE id = ?').run(epoch, valAccuracy, id);
}

export function putEpochMetrics(db: Db, runId: number, m: EpochMetricsRecord): void {
  stmt(
    db,
    `INSERT OR REPLACE INTO epoch_metrics (run_id, epoch, train_loss, train_accuracy, val_loss, val_accuracy, val_macro_f1, learning_rate, seconds, images_per_second, kept)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  ).run(runId, m.epoch, m.trainLoss, m.trainAccuracy, m.valLoss, m.valAccuracy, m.valMacroF1, m.learningRate, m.seconds, m.imagesPerSecond, m.kept ? 1 : 0);
}

export function epochMetrics(db: Db, runId: number): EpochMetricsRecord[] {
  return (
    stmt(
      db,
      `SELECT epoch, train_loss AS trainLoss, train_accuracy AS trainAccuracy, val_loss AS valLoss, val_accuracy AS valAccuracy,
              val_macro_f1 AS valMacroF1, learning_rate AS learningRate, seconds, images_per_second AS imagesPerSecond, kept
         FROM epoch_metrics WHERE run_id = ? ORDER BY epoch`,
    ).all(runId) as (Omit<EpochMetricsRecord, 'kept'> & { kept: number })[]
  ).map((r) => ({ ...r, kept: r.kept !== 0 }));
}

/** A run with what its summary needs besides the run itself: epochs recorded, and the newest model it produced. */
export interface RunOverview extends TrainingRunRecord {
  epochsDone: number;
  modelId: string | null;
}

// One query for the whole list (the Training page lists every run): no per-run count and model look-ups.
const RUN_OVERVIEW_SQL = `SELECT ${RUN_COLUMNS},
  (SELECT COUNT(*) FROM epoch_metrics e WHERE e.run_id = r.id) AS epochsDone,
  (SELECT m.id FROM models m WHERE m.run_id = r.id ORDER BY m.created_at DESC, m.rowid DESC LIMIT 1) AS modelId
  FROM training_runs r`;

type RunOverviewRow = RunRow & { epochsDone: number; modelId: string | null };

export function listRunOverviews(db: Db): RunOverview[] {
  return (stmt(db, `${RUN_OVERVIEW_SQL} ORDER BY r.id DESC`).all() as RunOverviewRow[]).map((r) => ({ ...toRun(r), epochsDone: r.epochsDone, modelId: r.modelId }));
}

export function getRunOverview(db: Db, id: number): RunOverview | undefined {
  const row = stmt(db, `${RUN_OVERVIEW_SQL} WHERE r.id = ?`).get(id) as RunOverviewRow | undefined;
  return row && { ...toRun(row), epochsDone: row.epochsDone, modelId: row.modelId };
}
