import type { LabelChange, LabelSource, Split } from '../../shared/domain';
import { UserError } from '../../shared/errors';
import { BULK_UNDO_SPECIMENS, type LabelOpAction, type LabelOpEffect, type LabelOpOutcome } from '../../shared/schemas/labels';
import { stmt, type Db } from './open';
import { nowIso } from './time';
import { SpecimenReferenceError } from './specimens';
import { REVIEW_KINDS } from './review';
import { SPLIT_FIX_KIND, type SplitFix } from './splits';

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

/** What `undoLastLabelOp` and `undoLabelOp` return: what was undone and what changed. */
export type UndoResult = LabelOpOutcome;

interface OpRow {
  id: number;
  at: string;
  source: LabelSource;
  kind: string;
  description: string;
  payload: string | null;
  undone_by: number | null;
}
interface HistoryRow {
  specimen_id: number;
  from_class_id: number | null;
  to_class_id: number | null;
  excluded_from: string | null;
  excluded_to: string | null;
}
/** One change an undo or redo makes: a specimen's label, its split, its expert flag, or its exclusion. */
type Step =
  | { type: 'label'; specimenId: number; from: number | null; to: number | null }
  | { type: 'split'; specimenId: number; from: Split; to: Split }
  | { type: 'flag'; specimenId: number; to: boolean }
  | { type: 'exclusion'; specimenId: number; from: Exclusion; to: Exclusion };

/** An undo or redo worked out against the catalogue as it is now, before any of it is applied. */
interface Plan {
  action: LabelOpAction;
  /** The operation undone or redone. */
  op: OpRow;
  /** The operation whose history rows are reverted: the op itself for undo, its undo for redo. */
  reverses: OpRow;
  steps: Step[];
  skipped: number;
  /** A merge's class: shown again by undo, hidden again (into `into`) by redo. */
  mergedClass: { id: number; into: number | null } | null;
}

const OP_COLUMNS = 'id, at, source, kind, description, payload, undone_by';
const UNDO_KIND = 'undo';
const REDO_KIND = 'redo';

function opById(db: Db, id: number): OpRow | undefined {
  return stmt(db, `SELECT ${OP_COLUMNS} FROM label_ops WHERE id = ?`).get(id) as OpRow | undefined;
}

/** The operation `undo` would revert: the given one (refused when it cannot be), else the newest not undone. */
function undoTarget(db: Db, opId: number | undefined): OpRow | null {
  if (opId === undefined) {
    return (stmt(db, `SELECT ${OP_COLUMNS} FROM label_ops WHERE source != 'undo' AND undone_by IS NULL ORDER BY id DESC LIMIT 1`).get() as OpRow | undefined) ?? null;
  }
  const op = opById(db, opId);
  if (!op) throw new UserError('not-found', `no label operation with id ${opId}`);
  if (op.source === 'undo') throw new UserError('invalid-input', `operation ${opId} ("${op.description}") is itself an undo or redo; use redo or undo on the operation it reverted`);
  if (op.undone_by !== null) throw new UserError('conflict', `operation ${opId} ("${op.description}") was already undone (by operation ${op.undone_by}); redo it instead`);
  return op;
}

/** The undo `redo` would revert, and the operation it undid: the given operation's undo, else the newest undo not itself undone. */
function redoTarget(db: Db, opId: number | undefined): { op: OpRow; undo: OpRow } | null {
  let undo: OpRow | undefined;
  if (opId === undefined) {
    undo = stmt(db, `SELECT ${OP_COLUMNS} FROM label_ops WHERE source = 'undo' AND kind = '${UNDO_KIND}' AND undone_by IS NULL ORDER BY id DESC LIMIT 1`).get() as OpRow | undefined;
    if (!undo) return null;
  } else {
    const op = opById(db, opId);
    if (!op) throw new UserError('not-found', `no label operation with id ${opId}`);
    if (op.source === 'undo') throw new UserError('invalid-input', `operation ${opId} ("${op.description}") is itself an undo or redo; name the operation it reverted`);
    if (op.undone_by === null) throw new UserError('conflict', `operation ${opId} ("${op.description}") is not undone: nothing to redo`);
    undo = opById(db, op.undone_by);
  }
  const undoes = undo?.payload ? (JSON.parse(undo.payload) as { undoes?: number }).undoes : undefined;
  const op = undoes === undefined ? undefined : opById(db, undoes);
  if (!undo || !op || op.undone_by !== undo.id) throw new UserError('conflict', `the undo of operation ${opId ?? undoes ?? '?'} cannot be redone: its history is incomplete`);
  return { op, undo };
}

/**
 * Works out what reverting `reverses` changes now. Reverting a history row puts its `from` label back where
 * the label is still its `to`; a specimen changed again since is skipped (its newer label wins). Undo reverts
 * the operation's own rows; redo reverts its undo's rows, which re-applies the operation.
 */
function plan(db: Db, action: LabelOpAction, op: OpRow, reverses: OpRow): Plan {
  const current = stmt(db, 'SELECT label_class_id, split, flagged, excluded_at, excluded_reason FROM specimens WHERE id = ?');
  const now = (id: number) =>
    current.get(id) as { label_class_id: number | null; split: Split | null; flagged: number; excluded_at: string | null; excluded_reason: string | null } | undefined;
  const steps: Step[] = [];
  let skipped = 0;
  const rows = stmt(db, 'SELECT specimen_id, from_class_id, to_class_id, excluded_from, excluded_to FROM label_history WHERE op_id = ? ORDER BY id').all(
    reverses.id,
  ) as HistoryRow[];
  for (const r of rows) {
    if (r.excluded_from !== null || r.excluded_to !== null) {
      // An exclusion row: reverted where the photo is still in the state it left it in (excluded or not; a
      // different reason given since does not count as a change of state).
      const row = now(r.specimen_id);
      if (!row || (row.excluded_at !== null) !== (r.excluded_to !== null)) skipped++;
      else steps.push({ type: 'exclusion', specimenId: r.specimen_id, from: r.excluded_to, to: r.excluded_from });
      continue;
    }
    if (now(r.specimen_id)?.label_class_id !== r.to_class_id) skipped++;
    else steps.push({ type: 'label', specimenId: r.specimen_id, from: r.to_class_id, to: r.from_class_id });
  }
  // A split fix (splits.ts) moved specimens between splits, not labels: its payload lists the moves.
  if (op.kind === SPLIT_FIX_KIND && op.payload) {
    for (const m of (JSON.parse(op.payload) as { moves: SplitFix['moved'] }).moves) {
      const [from, to] = action === 'undo' ? [m.to, m.from] : [m.from, m.to];
      if (now(m.id)?.split !== from) skipped++;
      else steps.push({ type: 'split', specimenId: m.id, from, to });
    }
  }
  // A review that flagged a specimen for an expert (catalogue/review.ts): undo puts the flag back as it was.
  if (op.kind === REVIEW_KINDS.flag && op.payload) {
    const payload = JSON.parse(op.payload) as { specimenId?: number; previousFlagged?: boolean };
    if (typeof payload.specimenId === 'number') steps.push({ type: 'flag', specimenId: payload.specimenId, to: action === 'undo' ? payload.previousFlagged === true : true });
  }
  let mergedClass: Plan['mergedClass'] = null;
  if (op.kind === 'merge' && op.payload) {
    const payload = JSON.parse(op.payload) as { mergedClassId?: number };
    // The class it was merged into: where the merge's history rows went.
    const into = (stmt(db, 'SELECT to_class_id FROM label_history WHERE op_id = ? LIMIT 1').get(op.id) as { to_class_id: number | null } | undefined)?.to_class_id ?? null;
    if (typeof payload.mergedClassId === 'number') mergedClass = { id: payload.mergedClassId, into: action === 'undo' ? null : into };
  }
  return { action, op, reverses, steps, skipped, mergedClass };
}

const count = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

function effectOf(p: Plan): LabelOpEffect {
  const labels = p.steps.filter((s) => s.type === 'label');
  const labelsSet = labels.filter((s) => s.to !== null && s.to !== s.from).length;
  const labelsRemoved = labels.filter((s) => s.to === null && s.from !== null).length;
  const decisions = labels.filter((s) => s.to === s.from).length;
  const splitMoves = p.steps.filter((s) => s.type === 'split').length;
  const exclusions = p.steps.filter((s) => s.type === 'exclusion');
  const excluded = exclusions.filter((s) => s.to !== null).length;
  const included = exclusions.length - excluded;
  const specimens = new Set(p.steps.map((s) => s.specimenId)).size;
  const undo = p.action === 'undo';
  const their = (n: number) => (n === 1 ? 'its' : 'their');
  const parts = [
    excluded ? `${count(excluded, 'photo')} will be excluded from training and evaluation` : '',
    included ? `${count(included, 'photo')} will be included in training and evaluation again` : '',
    labelsRemoved ? `${count(labelsRemoved, 'specimen')} will lose ${their(labelsRemoved)} label` : '',
    labelsSet ? `${count(labelsSet, 'specimen')} will ${undo ? `get ${their(labelsSet)} earlier label back` : 'be labeled again'}` : '',
    splitMoves ? `${count(splitMoves, 'specimen')} will move ${undo ? `back to ${splitMoves === 1 ? 'its split' : 'their splits'}` : "to the group's split again"}` : '',
    decisions ? `${count(decisions, 'review decision')} will be ${undo ? 'withdrawn' : 'made again'}` : '',
    p.skipped ? `${count(p.skipped, 'specimen')} changed since will be left as ${p.skipped === 1 ? 'it is' : 'they are'}` : '',
  ].filter(Boolean);
  return {
    action: p.action,
    opId: p.op.id,
    description: p.op.description,
    source: p.op.source,
    kind: p.op.kind,
    at: p.op.at,
    labelsSet,
    labelsRemoved,
    decisions,
    splitMoves,
    excluded,
    included,
    skipped: p.skipped,
    specimens,
    bulk: p.op.source === 'folder' || p.op.kind === 'merge' || specimens > BULK_UNDO_SPECIMENS,
    consequence: parts.length ? `${parts.join('; ')}.` : 'Nothing will change.',
  };
}

/** The past-tense notice of an undo or redo, worded by what changed: "804 labels removed". */
function summaryOf(e: LabelOpEffect): string {
  const undo = e.action === 'undo';
  const parts = [
    e.excluded ? `${count(e.excluded, 'photo')} excluded` : '',
    e.included ? `${count(e.included, 'photo')} included again` : '',
    e.labelsRemoved ? `${count(e.labelsRemoved, 'label')} removed` : '',
    e.labelsSet ? `${count(e.labelsSet, 'label')} ${undo ? 'restored' : 're-applied'}` : '',
    e.splitMoves ? `${count(e.splitMoves, 'specimen')} moved ${undo ? `back to ${e.splitMoves === 1 ? 'its split' : 'their splits'}` : "to the group's split again"}` : '',
    e.decisions ? `${count(e.decisions, 'review decision')} ${undo ? 'withdrawn' : 'made again'}` : '',
    e.skipped ? `${e.skipped} changed since and kept` : '',
  ].filter(Boolean);
  return parts.length ? parts.join(', ') : 'nothing changed';
}

/** Applies a plan as one new operation (source "undo") and links the history so the next undo or redo is right. */
function apply(db: Db, p: Plan): LabelOpOutcome {
  const effect = effectOf(p);
  const recordedOpId =
    p.action === 'undo'
      ? createLabelOp(db, 'undo', UNDO_KIND, `undo: ${p.op.description}`, { undoes: p.op.id })
      : createLabelOp(db, 'undo', REDO_KIND, `redo: ${p.op.description}`, { redoes: p.op.id, undo: p.reverses.id });
  for (const s of p.steps) {
    if (s.type === 'label') setLabelInOp(db, recordedOpId, s.specimenId, s.from, s.to);
    else if (s.type === 'split') stmt(db, 'UPDATE specimens SET split = ? WHERE id = ?').run(s.to, s.specimenId);
    else if (s.type === 'exclusion') setExclusionInOp(db, recordedOpId, s.specimenId, s.from, s.to);
    else stmt(db, 'UPDATE specimens SET flagged = ? WHERE id = ?').run(s.to ? 1 : 0, s.specimenId);
  }
  if (p.mergedClass) stmt(db, 'UPDATE classes SET merged_into = ? WHERE id = ?').run(p.mergedClass.into, p.mergedClass.id);
  if (p.action === 'undo') stmt(db, 'UPDATE label_ops SET undone_by = ? WHERE id = ?').run(recordedOpId, p.op.id);
  else {
    // The undo is undone by the redo, and the operation stands again: undo can revert it once more.
    stmt(db, 'UPDATE label_ops SET undone_by = ? WHERE id = ?').run(recordedOpId, p.reverses.id);
    stmt(db, 'UPDATE label_ops SET undone_by = NULL WHERE id = ?').run(p.op.id);
  }
  const reverted = p.steps.filter((s) => s.type !== 'flag').length;
  return { ...effect, undoneOpId: p.op.id, recordedOpId, reverted, summary: summaryOf(effect) };
}

function planFor(db: Db, action: LabelOpAction, opId: number | undefined): Plan | null {
  if (action === 'undo') {
    const op = undoTarget(db, opId);
    return op ? plan(db, 'undo', op, op) : null;
  }
  const target = redoTarget(db, opId);
  return target ? plan(db, 'redo', target.op, target.undo) : null;
}

/** What undoing (or redoing) an operation would change now, without changing anything; null when there is none. */
export function describeLabelOpChange(db: Db, action: LabelOpAction, opId?: number): LabelOpEffect | null {
  const p = planFor(db, action, opId);
  return p ? effectOf(p) : null;
}

/**
 * Reverts one label operation: `opId`, or the newest that is not an undo and not undone. An operation that was
 * already undone (or is itself an undo) is refused with a UserError. A specimen whose label has changed again
 * since is left alone (its newer label wins) and counted as skipped.
 */
export function undoLabelOp(db: Db, opId?: number): UndoResult | null {
  return db.transaction(() => {
    const p = planFor(db, 'undo', opId);
    return p ? apply(db, p) : null;
  })();
}

/** Reverts the newest label operation not yet undone (see undoLabelOp); null when there is none. */
export function undoLastLabelOp(db: Db): UndoResult | null {
  return undoLabelOp(db);
}

/**
 * Re-applies an undone operation by reverting its undo: `opId` (an operation that was undone), or the one of
 * the newest undo that is not itself undone. A split fix's moves are made again from its payload.
 */
export function redoLabelOp(db: Db, opId?: number): LabelOpOutcome | null {
  return db.transaction(() => {
    const p = planFor(db, 'redo', opId);
    return p ? apply(db, p) : null;
  })();
}

/**
 * A photo's exclusion state in the label history: null while it is included, else the reason it was excluded
 * for ('' when none was given).
 */
export type Exclusion = string | null;

export const EXCLUSION_KINDS = { exclude: 'exclude', include: 'include' } as const;

/**
 * Sets one specimen's exclusion under an existing operation, with its history row (the label unchanged: from =
 * to). Call inside a transaction. Re-excluding (undo of an include, redo of an exclude) stamps the time anew.
 */
export function setExclusionInOp(db: Db, opId: number, specimenId: number, from: Exclusion, to: Exclusion): void {
  stmt(db, 'UPDATE specimens SET excluded_at = ?, excluded_reason = ? WHERE id = ?').run(to === null ? null : nowIso(), to ? to : null, specimenId);
  stmt(
    db,
    `INSERT INTO label_history (op_id, specimen_id, from_class_id, to_class_id, at, excluded_from, excluded_to)
     SELECT ?, id, label_class_id, label_class_id, ?, ?, ? FROM specimens WHERE id = ?`,
  ).run(opId, nowIso(), from, to, specimenId);
}

export interface ExclusionChange {
  /** The operation (undo reverts it), 0 when no photo changed. */
  opId: number;
  /** Specimens whose state changed. */
  changed: number[];
  /** Specimens already in the asked-for state (excluded, or included): left as they were. */
  unchanged: number[];
}

/**
 * Excludes specimens from training and evaluation (`reason` given) or includes them again (`reason` undefined
 * and `include`), as one label operation with a history row per photo that changes. Their labels and splits stay,
 * so undo or a later include puts them back where they were. Nothing to change: no operation (opId 0).
 */
export function setExclusion(db: Db, specimenIds: readonly number[], change: { exclude: true; reason?: string | null } | { exclude: false }): ExclusionChange {
  return db.transaction((): ExclusionChange => {
    const current = stmt(db, 'SELECT excluded_at, excluded_reason FROM specimens WHERE id = ?');
    const changed: { id: number; from: Exclusion }[] = [];
    const unchanged: number[] = [];
    for (const id of new Set(specimenIds)) {
      const row = current.get(id) as { excluded_at: string | null; excluded_reason: string | null } | undefined;
      if (!row) throw new SpecimenReferenceError(`no specimen with id ${id}`);
      if ((row.excluded_at !== null) === change.exclude) unchanged.push(id);
      else changed.push({ id, from: row.excluded_at === null ? null : (row.excluded_reason ?? '') });
    }
    if (changed.length === 0) return { opId: 0, changed: [], unchanged };
    const n = changed.length;
    const photos = `${n} photo${n === 1 ? '' : 's'}`;
    const reason = change.exclude ? (change.reason ?? '').trim() : '';
    const opId = change.exclude
      ? createLabelOp(db, 'manual', EXCLUSION_KINDS.exclude, `exclude ${photos}${reason ? ` (${reason})` : ''}`, reason ? { reason } : undefined)
      : createLabelOp(db, 'manual', EXCLUSION_KINDS.include, `include ${photos} again`);
    for (const c of changed) setExclusionInOp(db, opId, c.id, c.from, change.exclude ? reason : null);
    return { opId, changed: changed.map((c) => c.id), unchanged };
  })();
}

export function labelHistory(db: Db, specimenId: number): LabelChange[] {
  return db
    .prepare(
      `SELECT h.id, h.op_id AS opId, h.specimen_id AS specimenId, cf.name AS "from", ct.name AS "to", h.at, o.source, o.description,
              CASE WHEN h.excluded_to IS NOT NULL THEN 'excluded' WHEN h.excluded_from IS NOT NULL THEN 'included' END AS exclusion
         FROM label_history h
         JOIN label_ops o ON o.id = h.op_id
         LEFT JOIN classes cf ON cf.id = h.from_class_id
         LEFT JOIN classes ct ON ct.id = h.to_class_id
        WHERE h.specimen_id = ? ORDER BY h.id`,
    )
    .all(specimenId) as LabelChange[];
}
