// Labeling: setting or clearing the label of specimens, and managing the classes they are labeled with.
import { z } from 'zod';
import { LABEL_SOURCES } from '../domain';
import { Count, Id, Text } from './common';

/** Sets (classId) or clears (null) the label of specimens as one undoable operation: the app's selection. */
export const LabelParamsSchema = z
  .object({ specimenIds: z.array(Id).min(1, 'select at least one specimen').max(200_000), classId: Id.nullable() })
  .strict();
export type LabelParams = z.output<typeof LabelParamsSchema>;
export const LabelResultSchema = z.object({ opId: Count, changed: Count });
export type LabelResult = z.output<typeof LabelResultSchema>;

/**
 * The same as the command line names things: specimens by sha256 prefix or file path, the class by name
 * (created when new). All or nothing: one unknown reference refuses the whole operation.
 */
export const LabelByReferenceParamsSchema = z
  .object({
    refs: z.array(Text(4096).min(1)).min(1, 'name at least one specimen (sha256 prefix or path)').max(200_000),
    className: Text(200).min(1),
  })
  .strict();
export type LabelByReferenceParams = z.output<typeof LabelByReferenceParamsSchema>;
export const LabelByReferenceResultSchema = z.object({
  class: z.string(),
  /** References given (the same specimen named twice counts twice). */
  requested: Count,
  changed: Count,
  opId: Count,
});
export type LabelByReferenceResult = z.output<typeof LabelByReferenceResultSchema>;

/**
 * Excludes photos from training, evaluation, splitting and cross-validation (the app's selection), or includes
 * them again: one undoable label operation. Their labels and splits are kept. Photos already in that state are
 * left as they are and counted.
 */
export const ExcludeParamsSchema = z
  .object({
    specimenIds: z.array(Id).min(1, 'select at least one specimen').max(200_000),
    /** Why, for the history ("not a specimen: a bead necklace"). */
    reason: Text(500).optional(),
  })
  .strict();
export type ExcludeParams = z.output<typeof ExcludeParamsSchema>;
export const IncludeParamsSchema = z.object({ specimenIds: z.array(Id).min(1, 'select at least one specimen').max(200_000) }).strict();
export type IncludeParams = z.output<typeof IncludeParamsSchema>;
export const ExclusionResultSchema = z.object({
  /** The operation, 0 when no photo changed. */
  opId: Count,
  /** Photos whose state changed. */
  changed: Count,
  /** Photos already excluded (exclude) or already included (include). */
  unchanged: Count,
});
export type ExclusionResult = z.output<typeof ExclusionResultSchema>;

/** The same by sha256 prefix or path (the command line). All or nothing: one unknown reference changes nothing. */
export const ExcludeByReferenceParamsSchema = z
  .object({
    refs: z.array(Text(4096).min(1)).min(1, 'name at least one specimen (sha256 prefix or path)').max(200_000),
    exclude: z.boolean(),
    reason: Text(500).optional(),
  })
  .strict();
export type ExcludeByReferenceParams = z.output<typeof ExcludeByReferenceParamsSchema>;
export const ExcludeByReferenceResultSchema = ExclusionResultSchema.extend({
  /** References given (the same specimen named twice counts twice). */
  requested: Count,
  /** Each distinct photo named, and whether it changed or already was in that state. */
  specimens: z.array(z.object({ id: Id, sha256: z.string(), path: z.string(), changed: z.boolean() })),
});
export type ExcludeByReferenceResult = z.output<typeof ExcludeByReferenceResultSchema>;

/** A class by id (the app) or by name (the command line). */
export const ClassRefSchema = z.union([Id, Text(200).min(1)]);
export type ClassRef = z.output<typeof ClassRefSchema>;

export const ClassAddParamsSchema = z.object({ name: Text(200) }).strict();
export type ClassAddParams = z.output<typeof ClassAddParamsSchema>;
export const ClassRenameParamsSchema = z.object({ class: ClassRefSchema, name: Text(200) }).strict();
export type ClassRenameParams = z.output<typeof ClassRenameParamsSchema>;
/** Moves every specimen of one class into another as one undoable label operation. */
export const ClassMergeParamsSchema = z.object({ from: ClassRefSchema, into: ClassRefSchema }).strict();
export type ClassMergeParams = z.output<typeof ClassMergeParamsSchema>;
export const ClassMergeResultSchema = z.object({ moved: Count, opId: Count });
export type ClassMergeResult = z.output<typeof ClassMergeResultSchema>;

/**
 * Undo and redo. Undo reverts one label operation (the newest, or one by id); redo re-applies the newest
 * undone one (or one by id) by reverting its undo. Either can be described first (labels.preview) so that the
 * caller confirms a bulk change, which names how many specimens it changes.
 */
export const LABEL_OP_ACTIONS = ['undo', 'redo'] as const;
export type LabelOpAction = (typeof LABEL_OP_ACTIONS)[number];

/** Above this many specimens an undo or redo is bulk: the app and the CLI confirm it first. */
export const BULK_UNDO_SPECIMENS = 50;

/** Undo (or redo) the operation with this id; without one, the newest that can be. */
export const LabelOpTargetSchema = z.object({ opId: Id.optional() }).strict();
export type LabelOpTarget = z.output<typeof LabelOpTargetSchema>;
export const LabelOpPreviewParamsSchema = z.object({ action: z.enum(LABEL_OP_ACTIONS), opId: Id.optional() }).strict();
export type LabelOpPreviewParams = z.output<typeof LabelOpPreviewParamsSchema>;

/** What an undo or redo of one operation changes (before: what it will change; after: what it changed). */
export const LabelOpEffectSchema = z.object({
  action: z.enum(LABEL_OP_ACTIONS),
  /** The operation undone or redone (never the undo operation itself). */
  opId: Id,
  description: z.string(),
  source: z.enum(LABEL_SOURCES),
  kind: z.string(),
  at: z.string(),
  /** Specimens that get a label back (undo) or again (redo). */
  labelsSet: Count,
  /** Specimens left unlabeled. */
  labelsRemoved: Count,
  /** Review decisions (keep, flag) that change no label, withdrawn or made again. */
  decisions: Count,
  /** Specimens moved between splits (a split fix). */
  splitMoves: Count,
  /** Photos left out of training and evaluation (an exclude redone, an include undone). */
  excluded: Count,
  /** Photos taken back into training and evaluation (an exclude undone, an include redone). */
  included: Count,
  /** Specimens changed again since, left as they are. */
  skipped: Count,
  /** Distinct specimens the undo or redo changes. */
  specimens: Count,
  /** An import's folder labels, a merge, or more than BULK_UNDO_SPECIMENS specimens: confirm first. */
  bulk: z.boolean(),
  /** In the future tense, for a confirmation: "804 specimens will lose their label". */
  consequence: z.string(),
});
export type LabelOpEffect = z.output<typeof LabelOpEffectSchema>;

export const LabelOpOutcomeSchema = LabelOpEffectSchema.extend({
  /** Same as opId; the name older callers of labels.undo read. */
  undoneOpId: Id,
  /** The new operation (source "undo") that recorded this undo or redo. */
  recordedOpId: Id,
  /** Label rows and split moves reverted (review decisions included). */
  reverted: Count,
  /** In the past tense, worded by what changed: "804 labels removed", "12 labels restored". */
  summary: z.string(),
});
export type LabelOpOutcome = z.output<typeof LabelOpOutcomeSchema>;
