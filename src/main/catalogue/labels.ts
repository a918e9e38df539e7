import type { LabelChange, LabelSource } from '../../shared/domain';
import { stmt, type Db } from './open';
import { nowIso } from './time';
import { SpecimenReferenceError } from './specimens';
import { revertSplitMoves, SPLIT_FIX_KIND } from './splits';

export interface LabelChangeRequest {
  specimenIds: readonly number[];
  /** null clears the label. */
  toClassId: number | null;
  source: LabelSource;
  kind: string;
  description: string;
  payload?: unknown;
}

export function createLabelOp(db: Db, source: LabelSource, kind: string, description: string, payload?: unknown): number {
  return Number(
    db
      .prepare('INSERT INTO label_ops (at, source, kind, description, payload) VALUES (?, ?, ?, ?, ?)')
      .run(nowIso(), source, kind, description, payload === undefined ? null : JSON.stringify(payload)).lastInsertRowid,
  );
}

/** Sets one specimen's label under an existing operation, with its history row. Call inside a transaction. */
export function setLabelInOp(db: Db, opId: number, specimenId: number, fromClassId: number | null, toClassId: number | null): void {
  stmt(db, 'UPDATE specimens SET label_class_id = ? WHERE id = ?').run(toClassId, specimenId);
  stmt(db, 'INSERT INTO label_history (op_id, specimen_id, from_class_id, to_class_id, at) VALUES (?, ?, ?, ?, ?)').run(
    opId,
    specimenId,
    fromClassId,
    toClassId,
    nowIso(),
  );
}

/**
 * Sets the label of many specimens as one operation, recording a history row for each specimen whose
 * label actually changes. Returns the operation id, or 0 when nothing changed (no empty operations, so
 * that undo always undoes something visible).
 */
export function applyLabelChanges(db: Db, request: LabelChangeRequest): number {
  return db.transaction(() => {
    const current = stmt(db, 'SELECT label_class_id FROM specimens WHERE id = ?');
    const changes: { id: number; from: number | null }[] = [];
    for (const id of new Set(request.specimenIds)) {
      const row = current.get(id) as { label_class_id: number | null } | undefined;
      if (!row) throw new SpecimenReferenceError(`no specimen with id ${id}`);
      if (row.label_class_id !== request.toClassId) changes.push({ id, from: row.label_class_id });
    }
    if (changes.length === 0) return 0;
    const opId = createLabelOp(db, request.source, request.kind, request.description, request.payload);
    for (const c of changes) setLabelInOp(db, opId, c.id, c.from, request.toClassId);
    return opId;
  })();
}

export interface UndoResult {
  undoneOpId: number;
  description: string;
  reverted: number;
  /** Specimens whose label was changed again since, left as they are. */
  skipped: number;
}

/**
 * Reverts the newest label operation that is not itself an undo and has not been undone. A specimen whose
 * label has changed again since is left alone (its newer label wins) and counted as skipped.
 */
export function undoLastLabelOp(db: Db): UndoResult | null {
  return db.transaction(() => {
    const op = db
      .prepare(`SELECT id, kind, description, payload FROM label_ops WHERE source != 'undo' AND undone_by IS NULL ORDER BY id DESC LIMIT 1`)
      .get() as { id: number; kind: string; description: string; payload: string | null } | undefined;
    if (!op) return null;
    const rows = stmt(db, 'SELECT specimen_id, from_class_id, to_class_id FROM label_history WHERE op_id = ?').all(op.id) as {
      specimen_id: number;
      from_class_id: number | null;
      to_class_id: number | null;
    }[];
    const undoId = createLabelOp(db, 'undo', 'undo', `undo: ${op.description}`, { undoes: op.id });
    const current = stmt(db, 'SELECT label_class_id FROM specimens WHERE id = ?');
    let reverted = 0;
    let skipped = 0;
    // A split fix (splits.ts) moved specimens between splits, not labels: its payload lists the moves.
    if (op.kind === SPLIT_FIX_KIND && op.payload) ({ reverted, skipped } = revertSplitMoves(db, op.payload));
    for (const r of rows) {
      const now = current.get(r.specimen_id) as { label_class_id: number | null } | undefined;
      if (!now || now.label_class_id !== r.to_class_id) {
        skipped++;
        continue;
      }
      setLabelInOp(db, undoId, r.specimen_id, r.to_class_id, r.from_class_id);
      reverted++;
    }
    // A review that flagged a specimen for an expert (catalogue/review.ts) puts the flag back as it was.
    if (op.kind === 'review-flag' && op.payload) {
      const payload = JSON.parse(op.payload) as { specimenId?: number; previousFlagged?: boolean };
      if (typeof payload.specimenId === 'number') {
        stmt(db, 'UPDATE specimens SET flagged = ? WHERE id = ?').run(payload.previousFlagged ? 1 : 0, payload.specimenId);
      }
    }
    if (op.kind === 'merge' && op.payload) {
      const payload = JSON.parse(op.payload) as { mergedClassId?: number };
      if (typeof payload.mergedClassId === 'number') {
        stmt(db, 'UPDATE classes SET merged_into = NULL WHERE id = ?').run(payload.mergedClassId);
      }
    }
    stmt(db, 'UPDATE label_ops SET undone_by = ? WHERE id = ?').run(undoId, op.id);
    return { undoneOpId: op.id, description: op.description, reverted, skipped };
  })();
}

export function labelHistory(db: Db, specimenId: number): LabelChange[] {
  return db
    .prepare(
      `SELECT h.id, h.op_id AS opId, h.specimen_id AS specimenId, cf.name AS "from", ct.name AS "to", h.at, o.source, o.description
         FROM label_history h
         JOIN label_ops o ON o.id = h.op_id
         LEFT JOIN classes cf ON cf.id = h.from_class_id
         LEFT JOIN classes ct ON ct.id = h.to_class_id
        WHERE h.specimen_id = ? ORDER BY h.id`,
    )
    .all(specimenId) as LabelChange[];
}
