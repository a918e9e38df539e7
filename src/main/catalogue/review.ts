// What the Reports and Relabel pages read and write over one model's stored predictions: the specimens of a
// confusion-matrix cell, the relabel queue (misclassified and doubtful specimens), and review decisions.
//
// A review decision is a label operation (label_ops + a label_history row), not a table of its own: accepting
// a prediction changes the label, keeping it records the label again (from = to), flagging sets the expert
// flag. So every decision shows in the specimen's label history, `labels.undo` reverts the newest one like
// any other label change (undoLastLabelOp restores the flag of a `review-flag`), and the queue leaves out
// specimens with a decision for the model that has not been undone. No migration is needed.
import type { Split } from '../../shared/domain';
import type { PredictedSpecimen, RelabelAction } from '../../shared/schemas';
import { stmt, type Db } from './open';
import { createLabelOp, setLabelInOp } from './labels';
import type { ModelRecord } from './models';
import { SpecimenReferenceError } from './specimens';
import { UserError } from '../../shared/errors';

export const REVIEW_KINDS = { accept: 'review-accept', keep: 'review-keep', flag: 'review-flag' } as const satisfies Record<RelabelAction, string>;

export class ReviewError extends UserError {
  constructor(message: string) {
    super('conflict', message);
  }
}

interface Row {
  id: number;
  originalName: string;
  sampleCode: string | null;
  labelClassId: number | null;
  label: string | null;
  split: Split | null;
  flagged: number;
  predictedClass: string;
  confidence: number;
  loss: number | null;
  probabilities: string;
}

const ROW_COLUMNS = `s.id, s.original_name AS originalName, s.sample_code AS sampleCode, s.label_class_id AS labelClassId, c.name AS label,
  s.split, s.flagged, p.predicted_class AS predictedClass, p.confidence, p.loss, p.probabilities`;

function toPredicted(r: Row): PredictedSpecimen {
  let probabilities: number[] = [];
  try {
    const parsed: unknown = JSON.parse(r.probabilities);
    if (Array.isArray(parsed)) probabilities = parsed.map((p) => (typeof p === 'number' ? p : 0));
  } catch {
    // A malformed row shows no probabilities rather than failing the page.
  }
  const { flagged, probabilities: _raw, ...rest } = r;
  return { ...rest, flagged: flagged !== 0, probabilities };
}

/**
 * The specimens behind confusion[trueClass][predictedClass] of catalogueReport (jobs/classify/export.ts):
 * labeled `trueClass`, predicted `predictedClass`, in the scope's split (or all), most confident first.
 */
export function confusionCellSpecimens(
  db: Db,
  model: ModelRecord,
  split: Split | null,
  trueClass: string,
  predictedClass: string,
  offset: number,
  limit: number,
): { total: number; items: PredictedSpecimen[] } {
  const where = `p.model_id = ? AND c.name = ? COLLATE NOCASE AND p.predicted_class = ? COLLATE NOCASE AND s.excluded_at IS NULL ${split ? 'AND s.split = ?' : ''}`;
  const values = [model.id, trueClass, predictedClass, ...(split ? [split] : [])];
  const from = 'predictions p JOIN specimens s ON s.id = p.specimen_id JOIN classes c ON c.id = s.label_class_id';
  const total = (db.prepare(`SELECT COUNT(*) AS n FROM ${from} WHERE ${where}`).get(...values) as { n: number }).n;
  const rows = db.prepare(`SELECT ${ROW_COLUMNS} FROM ${from} WHERE ${where} ORDER BY p.confidence DESC, s.id LIMIT ? OFFSET ?`).all(...values, limit, offset) as Row[];
  return { total, items: rows.map(toPredicted) };
}

/**
 * The specimens behind a cell of a cross-validation run's pooled confusion matrix: scored as `trueClass` (the
 * label they had when their fold was trained), predicted `predictedClass` out of fold, most confident first.
 */
export function cvConfusionCellSpecimens(db: Db, cvRunId: number, trueClass: string, predictedClass: string, offset: number, limit: number): { total: number; items: PredictedSpecimen[] } {
  const where = 'p.cv_run_id = ? AND p.label = ? COLLATE NOCASE AND p.predicted_class = ? COLLATE NOCASE';
  const values = [cvRunId, trueClass, predictedClass];
  const from = 'cv_predictions p JOIN specimens s ON s.id = p.specimen_id LEFT JOIN classes c ON c.id = s.label_class_id';
  const total = (db.prepare(`SELECT COUNT(*) AS n FROM ${from} WHERE ${where}`).get(...values) as { n: number }).n;
  const rows = db.prepare(`SELECT ${ROW_COLUMNS} FROM ${from} WHERE ${where} ORDER BY p.confidence DESC, s.id LIMIT ? OFFSET ?`).all(...values, limit, offset) as Row[];
  return { total, items: rows.map(toPredicted) };
}

/** Labeled, included specimens of the scope whose label the model knows but that it has no prediction for yet. */
export function unpredictedCount(db: Db, model: ModelRecord, split: Split | null): number {
  return (
    db
      .prepare(
        `SELECT COUNT(*) AS n FROM specimens s JOIN classes c ON c.id = s.label_class_id
          WHERE lower(c.name) IN (SELECT lower(value) FROM json_each(?)) AND s.excluded_at IS NULL ${split ? 'AND s.split = ?' : ''}
            AND NOT EXISTS (SELECT 1 FROM predictions p WHERE p.model_id = ? AND p.specimen_id = s.id)`,
      )
      .get(...[JSON.stringify(model.classes), ...(split ? [split] : []), model.id]) as { n: number }
  ).n;
}

export interface QueueOptions {
  rank: 'loss' | 'confidence';
  /** Specimens predicted with less confidence than this are doubtful (labeled or not). */
  doubtfulBelow: number;
  offset: number;
  limit: number;
}

/**
 * The relabel queue: specimens whose label (one the model knows) differs from the prediction, and specimens
 * predicted with low confidence, without a standing review decision for this model. Ranked by loss (highest
 * first; specimens without a loss last) or by confidence (lowest first).
 */
export function relabelQueue(db: Db, model: ModelRecord, o: QueueOptions): { total: number; items: PredictedSpecimen[] } {
  const from = 'predictions p JOIN specimens s ON s.id = p.specimen_id LEFT JOIN classes c ON c.id = s.label_class_id';
  const where = `p.model_id = ?
    AND ((c.name IS NOT NULL AND lower(c.name) IN (SELECT lower(value) FROM json_each(?)) AND p.predicted_class <> c.name COLLATE NOCASE)
         OR p.confidence < ?)
    AND s.id NOT IN (SELECT json_extract(o.payload, '$.specimenId') FROM label_ops o
                      WHERE o.kind IN ('review-accept', 'review-keep', 'review-flag') AND o.undone_by IS NULL
                        AND json_extract(o.payload, '$.modelId') = ?)`;
  const values = [model.id, JSON.stringify(model.classes), o.doubtfulBelow, model.id];
  const order = o.rank === 'loss' ? 'p.loss IS NULL, p.loss DESC, p.confidence ASC, s.id' : 'p.confidence ASC, p.loss IS NULL, p.loss DESC, s.id';
  const total = (db.prepare(`SELECT COUNT(*) AS n FROM ${from} WHERE ${where}`).get(...values) as { n: number }).n;
  const rows = db.prepare(`SELECT ${ROW_COLUMNS} FROM ${from} WHERE ${where} ORDER BY ${order} LIMIT ? OFFSET ?`).all(...values, o.limit, o.offset) as Row[];
  return { total, items: rows.map(toPredicted) };
}

export interface ReviewResult {
  opId: number;
  description: string;
  /** The specimen's label after the decision. */
  label: string | null;
}

/**
 * Records a review decision on one specimen as one undoable label operation: `accept` sets the label to the
 * model's prediction (source 'model'); `keep` confirms the current label; `flag` marks the specimen for an
 * expert. Each writes a label_history row and takes the specimen out of this model's relabel queue.
 */
export function reviewSpecimen(db: Db, model: ModelRecord, specimenId: number, action: RelabelAction): ReviewResult {
  return db.transaction((): ReviewResult => {
    const row = stmt(
      db,
      `SELECT s.id, s.original_name AS originalName, s.sample_code AS sampleCode, s.label_class_id AS labelClassId, c.name AS label, s.flagged,
              p.predicted_class AS predictedClass
         FROM specimens s LEFT JOIN classes c ON c.id = s.label_class_id
         LEFT JOIN predictions p ON p.specimen_id = s.id AND p.model_id = ?
        WHERE s.id = ?`,
    ).get(model.id, specimenId) as
      | { id: number; originalName: string; sampleCode: string | null; labelClassId: number | null; label: string | null; flagged: number; predictedClass: string | null }
      | undefined;
    if (!row) throw new SpecimenReferenceError(`no specimen with id ${specimenId}`);
    if (row.predictedClass === null) throw new ReviewError(`model ${model.id} has no prediction for specimen ${specimenId}`);
    const name = row.sampleCode ?? row.originalName;
    const payload = { modelId: model.id, specimenId, predicted: row.predictedClass, previousFlagged: row.flagged !== 0 };
    const current = row.label ?? 'unlabeled';
    if (action === 'accept') {
      const target = stmt(db, 'SELECT id, name FROM classes WHERE name = ? COLLATE NOCASE AND merged_into IS NULL').get(row.predictedClass) as
        | { id: number; name: string }
        | undefined;
      if (!target) throw new ReviewError(`the predicted class "${row.predictedClass}" is not a class of this catalogue (renamed or merged since?); label it by hand`);
      const description =
        target.id === row.labelClassId
          ? `accept the prediction ${target.name} for ${name} (already its label)`
          : `accept the prediction ${target.name} for ${name} (was ${current})`;
      const opId = createLabelOp(db, 'model', REVIEW_KINDS.accept, description, payload);
      setLabelInOp(db, opId, specimenId, row.labelClassId, target.id);
      return { opId, description, label: target.name };
    }
    if (action === 'keep') {
      const description = `keep ${current} for ${name} (model predicted ${row.predictedClass})`;
      const opId = createLabelOp(db, 'manual', REVIEW_KINDS.keep, description, payload);
      setLabelInOp(db, opId, specimenId, row.labelClassId, row.labelClassId);
      return { opId, description, label: row.label };
    }
    const description = `flag ${name} for an expert (${current}, model predicted ${row.predictedClass})`;
    const opId = createLabelOp(db, 'manual', REVIEW_KINDS.flag, description, payload);
    setLabelInOp(db, opId, specimenId, row.labelClassId, row.labelClassId);
    stmt(db, 'UPDATE specimens SET flagged = 1 WHERE id = ?').run(specimenId);
    return { opId, description, label: row.label };
  })();
}
