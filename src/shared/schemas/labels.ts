// Labeling: setting or clearing the label of specimens, and managing the classes they are labeled with.
import { z } from 'zod';
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
