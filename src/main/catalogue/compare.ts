// The reads a paired comparison needs: each side's predictions of labeled specimens, from a model's stored
// predictions of one split or from a cross-validation run's out-of-fold predictions. Excluded photos are left out.
import type { Split } from '../../shared/domain';
import { stmt, type Db } from './open';

/** One specimen a side predicted: the label it is scored against and the predicted class, by name. */
export interface PredictedLabel {
  specimenId: number;
  path: string;
  label: string;
  predicted: string;
}

/** A model's stored predictions of the labeled specimens of a split (their current label), in specimen id order. */
export function splitPredictedLabels(db: Db, modelId: string, split: Split): PredictedLabel[] {
  return stmt(
    db,
    `SELECT s.id AS specimenId, s.path, c.name AS label, p.predicted_class AS predicted
       FROM predictions p JOIN specimens s ON s.id = p.specimen_id JOIN classes c ON c.id = s.label_class_id
      WHERE p.model_id = ? AND s.split = ? AND s.excluded_at IS NULL ORDER BY s.id`,
  ).all(modelId, split) as PredictedLabel[];
}

/**
 * A cross-validation run's out-of-fold predictions, in specimen id order, each with the label it was scored
 * against when its fold was trained (not the specimen's label now).
 */
export function cvPredictedLabels(db: Db, cvRunId: number): PredictedLabel[] {
  return stmt(
    db,
    `SELECT s.id AS specimenId, s.path, p.label, p.predicted_class AS predicted
       FROM cv_predictions p JOIN specimens s ON s.id = p.specimen_id
      WHERE p.cv_run_id = ? AND s.excluded_at IS NULL ORDER BY s.id`,
  ).all(cvRunId) as PredictedLabel[];
}
