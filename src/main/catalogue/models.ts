import { stmt, type Db } from './open';
import { nowIso } from './time';
import { UserError } from '../../shared/errors';
import { decodeModelMetadata, type ModelMetadata } from '../../shared/model-metadata';

export interface ModelRecord {
  id: string;
  path: string;
  /**
   * The training run of THIS catalogue that produced the model, or null. A model's own metadata names the
   * run that trained it (training_run.run_id), but that id belongs to whichever catalogue it was trained in:
   * it stays in `metadata` as provenance and is never used as a key here, so a model trained elsewhere
   * neither breaks the foreign key nor gets attached to an unrelated local run with the same number.
   */
  runId: number | null;
  name: string;
  classes: string[];
  metadata: Record<string, string>;
  createdAt: string;
}

/**
 * Records a model file in the catalogue (once per id; a later call updates where the file is). `runId` is
 * given only by the trainer, for the local run it just finished. A registration without one (classify,
 * evaluate, "add a model") keeps an earlier link only when that run trained on the data this model names
 * (its dataset_sha256): a link an older Orelab made from a foreign model's run id is dropped then.
 */
export function registerModel(db: Db, m: Omit<ModelRecord, 'createdAt'>): void {
  stmt(
    db,
    `INSERT INTO models (id, path, run_id, name, classes, metadata, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT(id) DO UPDATE SET path = excluded.path, run_id = CASE
       WHEN excluded.run_id IS NOT NULL THEN excluded.run_id
       WHEN EXISTS (SELECT 1 FROM training_runs r WHERE r.id = models.run_id AND r.dataset_hash = ?) THEN models.run_id
       ELSE NULL END`,
  ).run(m.id, m.path, m.runId, m.name, JSON.stringify(m.classes), JSON.stringify(m.metadata), nowIso(), m.metadata.dataset_sha256 ?? null);
}

export function listModels(db: Db): ModelRecord[] {
  const rows = stmt(db, 'SELECT id, path, run_id AS runId, name, classes, metadata, created_at AS createdAt FROM models ORDER BY created_at DESC, id').all() as (Omit<
    ModelRecord,
    'classes' | 'metadata'
  > & { classes: string; metadata: string })[];
  return rows.map((r) => ({ ...r, classes: JSON.parse(r.classes) as string[], metadata: JSON.parse(r.metadata) as Record<string, string> }));
}

export class ModelReferenceError extends UserError {
  constructor(message: string) {
    super('invalid-input', message);
  }
}

/** A model by its id or a unique prefix of it; an ambiguous prefix is an error naming the candidates. */
export function getModel(db: Db, id: string): ModelRecord | undefined {
  const models = listModels(db);
  const exact = models.find((m) => m.id === id);
  if (exact) return exact;
  const matches = models.filter((m) => m.id.startsWith(id));
  if (matches.length > 1) throw new ModelReferenceError(`"${id}" matches ${matches.length} models (${matches.map((m) => m.id).sort().join(', ')}); give more of the id`);
  return matches[0];
}

export interface PredictionInput {
  specimenId: number;
  predictedClass: string;
  confidence: number;
  probabilities: readonly number[];
  /** Cross-entropy of the true label, when the specimen has one the model knows. */
  loss: number | null;
  /** Made with test-time augmentation (the mean over the photo's 8 flips and quarter turns). */
  tta: boolean;
}

/** Stores (or replaces) a model's predictions for specimens. Call inside a transaction for many. */
export function putPrediction(db: Db, modelId: string, p: PredictionInput): void {
  stmt(
    db,
    `INSERT INTO predictions (model_id, specimen_id, predicted_class, confidence, probabilities, loss, created_at, tta) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT(model_id, specimen_id) DO UPDATE SET predicted_class = excluded.predicted_class, confidence = excluded.confidence,
       probabilities = excluded.probabilities, loss = excluded.loss, created_at = excluded.created_at, tta = excluded.tta`,
  ).run(modelId, p.specimenId, p.predictedClass, p.confidence, JSON.stringify(p.probabilities.map((x) => Math.round(x * 1e6) / 1e6)), p.loss, nowIso(), p.tta ? 1 : 0);
}

/** The model a request names (its id or a unique prefix), or a not-found error that lists the ones there are. */
export function requireModel(db: Db, id: string): ModelRecord {
  const model = getModel(db, id);
  if (model) return model;
  const known = listModels(db).map((m) => `${m.id} (${m.name})`);
  throw new UserError('not-found', `no model "${id}" in the catalogue${known.length ? `; known: ${known.join(', ')}` : ' (none has run on it yet)'}`);
}

/** A model's self-description, or null when an older Orelab recorded it or it is damaged (callers show the row). */
export function modelMetadata(model: ModelRecord): ModelMetadata | null {
  try {
    return decodeModelMetadata(model.metadata, model.path);
  } catch {
    return null;
  }
}
