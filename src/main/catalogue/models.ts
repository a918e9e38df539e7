import { stmt, type Db } from './open';
import { nowIso } from './time';

export interface ModelRecord {
  id: string;
  path: string;
  runId: number | null;
  name: string;
  classes: string[];
  metadata: Record<string, string>;
  createdAt: string;
}

/** Records a model file in the catalogue (once per id; a later call updates where the file is). */
export function registerModel(db: Db, m: Omit<ModelRecord, 'createdAt'>): void {
  stmt(
    db,
    `INSERT INTO models (id, path, run_id, name, classes, metadata, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT(id) DO UPDATE SET path = excluded.path, run_id = COALESCE(excluded.run_id, models.run_id)`,
  ).run(m.id, m.path, m.runId, m.name, JSON.stringify(m.classes), JSON.stringify(m.metadata), nowIso());
}

export function listModels(db: Db): ModelRecord[] {
  const rows = stmt(db, 'SELECT id, path, run_id AS runId, name, classes, metadata, created_at AS createdAt FROM models ORDER BY created_at DESC, id').all() as (Omit<
    ModelRecord,
    'classes' | 'metadata'
  > & { classes: string; metadata: string })[];
  return rows.map((r) => ({ ...r, classes: JSON.parse(r.classes) as string[], metadata: JSON.parse(r.metadata) as Record<string, string> }));
}

export class ModelReferenceError extends Error {}

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
}

/** Stores (or replaces) a model's predictions for specimens. Call inside a transaction for many. */
export function putPrediction(db: Db, modelId: string, p: PredictionInput): void {
  stmt(
    db,
    `INSERT INTO predictions (model_id, specimen_id, predicted_class, confidence, probabilities, loss, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT(model_id, specimen_id) DO UPDATE SET predicted_class = excluded.predicted_class, confidence = excluded.confidence,
       probabilities = excluded.probabilities, loss = excluded.loss, created_at = excluded.created_at`,
  ).run(modelId, p.specimenId, p.predictedClass, p.confidence, JSON.stringify(p.probabilities.map((x) => Math.round(x * 1e6) / 1e6)), p.loss, nowIso());
}
