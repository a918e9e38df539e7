// Use case: label specimens and manage classes. The CLI (`orelab label`, `undo`, `classes`) and the app's
// labels.* and classes.* requests come here with the params of shared/schemas/labels.ts, parsed by their shell.
// Every change of labels is one undoable operation in the catalogue (catalogue/labels.ts).
import type {
  ClassAddParams,
  ClassMergeParams,
  ClassMergeResult,
  ClassRef,
  ClassRenameParams,
  LabelByReferenceParams,
  LabelByReferenceResult,
  LabelOp,
  LabelOpEffect,
  LabelOpOutcome,
  LabelOpPreviewParams,
  LabelOpTarget,
  LabelParams,
  LabelResult,
} from '../../shared/schemas';
import type { ClassInfo } from '../../shared/domain';
import { UserError } from '../../shared/errors';
import {
  addClass as addCatalogueClass,
  assignLabel,
  classById,
  ClassError,
  ensureClass,
  findClass,
  lastUndoableLabelOp,
  listClasses as listCatalogueClasses,
  mergeClasses as mergeCatalogueClasses,
  renameClass as renameCatalogueClass,
  resolveSpecimenRef,
  SpecimenReferenceError,
  describeLabelOpChange,
  redoLabelOp,
  undoLabelOp,
  type Db,
} from '../catalogue';
import type { ServiceContext } from './context';

/**
 * The specimens named by sha256 prefix or path, all or none: every reference that names no specimen (or more
 * than one) is reported at once, in one error, so that a typo never half-applies a bulk change. `nothingDone`
 * ends the message ("nothing was excluded").
 */
export function resolveAllSpecimenRefs(db: Db, refs: readonly string[], nothingDone?: string): number[] {
  const ids: number[] = [];
  const problems: string[] = [];
  for (const ref of refs) {
    try {
      ids.push(resolveSpecimenRef(db, ref));
    } catch (err) {
      if (err instanceof SpecimenReferenceError) problems.push(err.message);
      else throw err;
    }
  }
  if (problems.length) throw new UserError('not-found', [...problems, ...(nothingDone ? [nothingDone] : [])].join('\n'));
  return ids;
}

/** Labeling needs the catalogue only. */
type LabelContext = Pick<ServiceContext, 'db'>;

/** Sets (or with a null class clears) the label of specimens by id: one undoable operation. */
export function assignLabels(ctx: LabelContext, params: LabelParams): LabelResult {
  return assignLabel(ctx.db, params.specimenIds, params.classId) satisfies LabelResult;
}

/**
 * Labels specimens named by sha256 prefix or path with a class named by the user (created when new). All or
 * nothing: a typo in one reference must not half-apply a bulk relabel, so every bad one is reported at once.
 */
export function labelByReference(ctx: LabelContext, params: LabelByReferenceParams): LabelByReferenceResult {
  const { db } = ctx;
  const ids = resolveAllSpecimenRefs(db, params.refs);
  // One transaction: a class created for this label disappears with it if the labeling fails.
  const { opId, changed } = db.transaction(() => assignLabel(db, ids, ensureClass(db, params.className)))();
  return { class: params.className, requested: ids.length, changed, opId } satisfies LabelByReferenceResult;
}

/**
 * Reverts one label operation: the one named, or the newest not yet undone; null when there is none. One
 * already undone is refused. Bulk undos are confirmed by the caller first (see describeLabelChange).
 */
export function undoLabels(ctx: LabelContext, params: LabelOpTarget = {}): LabelOpOutcome | null {
  return undoLabelOp(ctx.db, params.opId);
}

/** Re-applies an undone operation: the one named, or that of the newest undo not itself undone. */
export function redoLabels(ctx: LabelContext, params: LabelOpTarget = {}): LabelOpOutcome | null {
  return redoLabelOp(ctx.db, params.opId);
}

/** What undoLabels or redoLabels would change now (counts, bulk or not, the consequence), changing nothing. */
export function describeLabelChange(ctx: LabelContext, params: LabelOpPreviewParams): LabelOpEffect | null {
  return describeLabelOpChange(ctx.db, params.action, params.opId);
}

/** What undoLabels would revert now. */
export function lastLabelOp(ctx: LabelContext): LabelOp | null {
  return lastUndoableLabelOp(ctx.db);
}

export function listClasses(ctx: LabelContext): ClassInfo[] {
  return listCatalogueClasses(ctx.db);
}

export function addClass(ctx: LabelContext, params: ClassAddParams): ClassInfo {
  return addCatalogueClass(ctx.db, params.name);
}

/** Renames a class (a clash with another class is refused: merging is a separate, undoable act). */
export function renameClass(ctx: LabelContext, params: ClassRenameParams): ClassInfo {
  const cls = resolveClass(ctx, params.class);
  renameCatalogueClass(ctx.db, cls.name, params.name);
  return classById(ctx.db, cls.id);
}

/** Moves every specimen of one class into another as one undoable operation; the emptied class is hidden. */
export function mergeClasses(ctx: LabelContext, params: ClassMergeParams): ClassMergeResult {
  const from = resolveClass(ctx, params.from);
  const into = resolveClass(ctx, params.into);
  return mergeCatalogueClasses(ctx.db, from.name, into.name) satisfies ClassMergeResult;
}

/** An active class by id or name, or a ClassError naming what was asked for. */
function resolveClass(ctx: LabelContext, ref: ClassRef): { id: number; name: string } {
  if (typeof ref === 'number') return classById(ctx.db, ref);
  const cls = findClass(ctx.db, ref);
  if (!cls || cls.merged_into !== null) throw new ClassError(`no class named "${ref}"`);
  return cls;
}
