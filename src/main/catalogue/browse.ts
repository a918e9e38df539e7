// Queries behind the desktop app's grid, detail panel and label tools: windowed pages of filtered specimens
// (the renderer never holds all rows), ids for range selections, one specimen's detail, and the label
// operations the app performs.
import path from 'node:path';
import type { SpecimenFilter, SpecimenPage, SpecimenSummary, PredictionInfo, LabelOp, ModelBrief } from '../../shared/schemas';
import type { Split } from '../../shared/domain';
import { stmt, type Db } from './open';
import { applyLabelChanges } from './labels';
import { ClassError } from './classes';
import { UserError } from '../../shared/errors';

/** The model whose predictions the prediction filters use: the given one, else the one with the newest predictions. */
export function predictionModelId(db: Db, modelId?: string): string | null {
  if (modelId) return modelId;
  const row = stmt(db, 'SELECT model_id FROM predictions ORDER BY created_at DESC, rowid DESC LIMIT 1').get() as { model_id: string } | undefined;
  return row?.model_id ?? null;
}

interface BuiltQuery {
  from: string;
  where: string;
  values: (string | number)[];
}

function buildQuery(db: Db, f: SpecimenFilter): BuiltQuery {
  const where: string[] = [];
  const values: (string | number)[] = [];
  let from = 'specimens s LEFT JOIN classes c ON c.id = s.label_class_id';
  const modelId = predictionModelId(db, f.modelId);
  // The prediction join is always there (the grid shows predictions); without a model it matches nothing.
  from += ' LEFT JOIN predictions p ON p.specimen_id = s.id AND p.model_id = ?';
  values.push(modelId ?? '');

  if (f.classIds && f.classIds.length > 0) {
    where.push(`s.label_class_id IN (${f.classIds.map(() => '?').join(',')})`);
    values.push(...f.classIds);
  }
  if (f.split === 'unassigned') where.push('s.split IS NULL');
  else if (f.split) {
    where.push('s.split = ?');
    values.push(f.split);
  }
  if (f.unlabeled) where.push('s.label_class_id IS NULL');
  if (f.flagged !== undefined) where.push(f.flagged ? 's.flagged = 1' : 's.flagged = 0');
  if (f.excluded !== undefined) where.push(f.excluded ? 's.excluded_at IS NOT NULL' : 's.excluded_at IS NULL');
  if (f.sampleCode && f.sampleCode.trim()) {
    // The search box (the filter's `sampleCode`): a card shows the sample code, else the file name, and a sha
    // prefix is how the CLI names a specimen, so the search matches all three: a sample code or file name
    // containing the text (LIKE: ASCII case-insensitive), or a sha256 starting with it.
    const term = f.sampleCode.trim().replace(/[%_\\]/g, '\\$&');
    where.push(`(s.sample_code LIKE ? ESCAPE '\\' OR s.original_name LIKE ? ESCAPE '\\' OR s.sha256 LIKE ? ESCAPE '\\')`);
    values.push(`%${term}%`, `%${term}%`, `${term}%`);
  }
  if (f.mismatch) where.push('c.name IS NOT NULL AND p.predicted_class IS NOT NULL AND p.predicted_class <> c.name COLLATE NOCASE');
  if (f.confidenceMin !== undefined) {
    where.push('p.confidence >= ?');
    values.push(f.confidenceMin);
  }
  if (f.confidenceMax !== undefined) {
    where.push('p.confidence <= ?');
    values.push(f.confidenceMax);
  }
  return { from, where: where.length ? `WHERE ${where.join(' AND ')}` : '', values };
}

export function countFiltered(db: Db, filter: SpecimenFilter): number {
  const q = buildQuery(db, filter);
  return (db.prepare(`SELECT COUNT(*) AS n FROM ${q.from} ${q.where}`).get(...q.values) as { n: number }).n;
}

interface SummaryRow {
  id: number;
  originalName: string;
  labelClassId: number | null;
  label: string | null;
  split: Split | null;
  sampleCode: string | null;
  flagged: number;
  excluded: number;
  predictedClass: string | null;
  confidence: number | null;
}

/** Specimens [offset, offset + limit) of the filtered list, ordered by id, and the list's total. */
export function pageSpecimens(db: Db, filter: SpecimenFilter, offset: number, limit: number): SpecimenPage {
  const q = buildQuery(db, filter);
  const rows = db
    .prepare(
      `SELECT s.id, s.original_name AS originalName, s.label_class_id AS labelClassId, c.name AS label, s.split,
              s.sample_code AS sampleCode, s.flagged, s.excluded_at IS NOT NULL AS excluded, p.predicted_class AS predictedClass, p.confidence
         FROM ${q.from} ${q.where} ORDER BY s.id LIMIT ? OFFSET ?`,
    )
    .all(...q.values, limit, offset) as SummaryRow[];
  const items: SpecimenSummary[] = rows.map((r) => ({
    id: r.id,
    originalName: r.originalName,
    labelClassId: r.labelClassId,
    label: r.label,
    split: r.split,
    sampleCode: r.sampleCode,
    flagged: r.flagged !== 0,
    excluded: r.excluded !== 0,
    prediction: r.predictedClass !== null && r.confidence !== null ? { predictedClass: r.predictedClass, confidence: r.confidence } : null,
  }));
  return { total: countFiltered(db, filter), offset, items };
}

/** The ids of the filtered list in [offset, offset + limit), in grid order. */
export function filteredSpecimenIds(db: Db, filter: SpecimenFilter, offset: number, limit: number): { ids: number[]; total: number } {
  const q = buildQuery(db, filter);
  const ids = (db.prepare(`SELECT s.id FROM ${q.from} ${q.where} ORDER BY s.id LIMIT ? OFFSET ?`).all(...q.values, limit, offset) as { id: number }[]).map(
    (r) => r.id,
  );
  return { ids, total: countFiltered(db, filter) };
}

export function specimenPredictions(db: Db, specimenId: number): PredictionInfo[] {
  const rows = db
    .prepare(
      `SELECT p.model_id AS modelId, m.name AS modelName, p.predicted_class AS predictedClass, p.confidence, p.probabilities,
              m.classes, p.loss, p.created_at AS createdAt
         FROM predictions p JOIN models m ON m.id = p.model_id
        WHERE p.specimen_id = ? ORDER BY p.created_at DESC, p.rowid DESC`,
    )
    .all(specimenId) as (Omit<PredictionInfo, 'probabilities'> & { probabilities: string; classes: string })[];
  return rows.map(({ classes, ...r }) => ({ ...r, probabilities: parseProbabilities(r.probabilities, classes) }));
}

/** Probabilities by class name. The predictions table stores them as an array in the model's class order. */
function parseProbabilities(text: string, classesJson: string): Record<string, number> {
  try {
    const value: unknown = JSON.parse(text);
    if (Array.isArray(value)) {
      const classes = JSON.parse(classesJson) as unknown;
      if (!Array.isArray(classes)) return {};
      return Object.fromEntries(
        value.flatMap((p, i) => (typeof p === 'number' && typeof classes[i] === 'string' ? [[classes[i] as string, p] as [string, number]] : [])),
      );
    }
    if (value && typeof value === 'object') {
      return Object.fromEntries(Object.entries(value).filter((e): e is [string, number] => typeof e[1] === 'number'));
    }
  } catch {
    // A malformed row shows no probabilities rather than breaking the panel.
  }
  return {};
}

/** Models that have predictions here, newest first. */
export function modelsWithPredictions(db: Db): ModelBrief[] {
  return db
    .prepare(
      `SELECT m.id, m.name, m.created_at AS createdAt, COUNT(p.specimen_id) AS predictions, MAX(p.created_at) AS newest
         FROM models m JOIN predictions p ON p.model_id = m.id
        GROUP BY m.id ORDER BY newest DESC, m.id`,
    )
    .all()
    .map((r) => {
      const { id, name, createdAt, predictions } = r as ModelBrief;
      return { id, name, createdAt, predictions };
    });
}

export class LabelTargetError extends UserError {
  constructor(message: string) {
    super('conflict', message);
  }
}

/** Sets (or with null clears) the label of specimens as one undoable manual operation. */
export function assignLabel(db: Db, specimenIds: readonly number[], classId: number | null): { opId: number; changed: number } {
  return db.transaction(() => {
    let description: string;
    const unique = [...new Set(specimenIds)];
    if (classId === null) description = `clear the label of ${unique.length} specimen${unique.length === 1 ? '' : 's'}`;
    else {
      const cls = stmt(db, 'SELECT name, merged_into FROM classes WHERE id = ?').get(classId) as { name: string; merged_into: number | null } | undefined;
      if (!cls || cls.merged_into !== null) throw new LabelTargetError(`no class with id ${classId}`);
      description = `label ${unique.length} as ${cls.name}`;
    }
    const opId = applyLabelChanges(db, { specimenIds: unique, toClassId: classId, source: 'manual', kind: 'label', description });
    const changed = opId === 0 ? 0 : (stmt(db, 'SELECT COUNT(*) AS n FROM label_history WHERE op_id = ?').get(opId) as { n: number }).n;
    return { opId, changed };
  })();
}

/** The operation undoLastLabelOp would revert now (same selection rule). */
export function lastUndoableLabelOp(db: Db): LabelOp | null {
  const row = stmt(db, `SELECT id, description, at, source FROM label_ops WHERE source != 'undo' AND undone_by IS NULL ORDER BY id DESC LIMIT 1`).get() as
    | LabelOp
    | undefined;
  return row ?? null;
}

export function classById(db: Db, id: number): { id: number; name: string; count: number } {
  const row = stmt(
    db,
    `SELECT c.id, c.name, (SELECT COUNT(*) FROM specimens s WHERE s.label_class_id = c.id) AS count
       FROM classes c WHERE c.id = ? AND c.merged_into IS NULL`,
  ).get(id) as { id: number; name: string; count: number } | undefined;
  if (!row) throw new ClassError(`no class with id ${id}`);
  return row;
}

/** A specimen's file and format, for the image protocol. */
export function specimenFile(db: Db, specimenId: number): { path: string; format: string; byteSize: number } | undefined {
  return stmt(db, 'SELECT path, format, byte_size AS byteSize FROM specimens WHERE id = ?').get(specimenId) as
    | { path: string; format: string; byteSize: number }
    | undefined;
}

/**
 * The specimen a file path belongs to (its import path, or any path the same bytes were seen at), or
 * undefined: the image protocol serves no other file.
 */
export function specimenForPath(db: Db, filePath: string): { id: number; path: string; format: string; byteSize: number } | undefined {
  if (!path.isAbsolute(filePath)) return undefined;
  const resolved = path.resolve(filePath);
  return stmt(
    db,
    `SELECT s.id, ? AS path, s.format, s.byte_size AS byteSize FROM specimens s
      WHERE s.path = ? OR s.id = (SELECT specimen_id FROM files WHERE path = ?) LIMIT 1`,
  ).get(resolved, resolved, resolved) as { id: number; path: string; format: string; byteSize: number } | undefined;
}
