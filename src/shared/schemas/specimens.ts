// Specimens: the record, the grid's filter and page, the detail panel, label history and undo.
import { z } from 'zod';
import { LABEL_SOURCES, type LabelChange, type Specimen } from '../domain';
import { Count, Id, Text } from './common';
import { PredictionBriefSchema, PredictionInfoSchema } from './predictions';
import { SplitFilterSchema, SplitSchema } from './splits';

export const SpecimenSchema = z.object({
  id: Id,
  sha256: z.string(),
  path: z.string(),
  originalName: z.string(),
  byteSize: Count,
  format: z.string(),
  width: Count,
  height: Count,
  exifDate: z.string().nullable(),
  importedAt: z.string(),
  sampleCode: z.string().nullable(),
  site: z.string().nullable(),
  notes: z.string().nullable(),
  labelClassId: Id.nullable(),
  label: z.string().nullable(),
  split: SplitSchema.nullable(),
  flagged: z.boolean(),
  excludedAt: z.string().nullable(),
  excludedReason: z.string().nullable(),
}) satisfies z.ZodType<Specimen>;

export const LabelChangeSchema = z.object({
  id: Id,
  opId: Id,
  specimenId: Id,
  from: z.string().nullable(),
  to: z.string().nullable(),
  at: z.string(),
  source: z.enum(LABEL_SOURCES),
  description: z.string(),
  exclusion: z.enum(['excluded', 'included']).nullable(),
}) satisfies z.ZodType<LabelChange>;

/**
 * What the grid and the label tools filter by. Prediction filters use one model's predictions: `modelId`, or
 * else the model whose predictions are newest. Without predictions they match nothing (honestly empty).
 */
export const SpecimenFilterSchema = z
  .object({
    classIds: z.array(Id).max(1000).optional(),
    split: SplitFilterSchema.optional(),
    unlabeled: z.boolean().optional(),
    /** Substring of the sample code, case-insensitive. */
    sampleCode: Text(200).optional(),
    flagged: z.boolean().optional(),
    /** true: only photos excluded from training and evaluation; false: only those included; absent: both. */
    excluded: z.boolean().optional(),
    /** Labeled specimens whose prediction differs from the label. */
    mismatch: z.boolean().optional(),
    confidenceMin: z.number().min(0).max(1).optional(),
    confidenceMax: z.number().min(0).max(1).optional(),
    modelId: Text(200).optional(),
  })
  .strict();
export type SpecimenFilter = z.output<typeof SpecimenFilterSchema>;

/** One grid cell's worth of a specimen: small, so pages of a 50k catalogue stay cheap. */
export const SpecimenSummarySchema = z.object({
  id: Id,
  originalName: z.string(),
  labelClassId: Id.nullable(),
  label: z.string().nullable(),
  split: SplitSchema.nullable(),
  sampleCode: z.string().nullable(),
  flagged: z.boolean(),
  /** Excluded from training and evaluation (still shown, so that it can be included again). */
  excluded: z.boolean(),
  prediction: PredictionBriefSchema.nullable(),
});
export type SpecimenSummary = z.output<typeof SpecimenSummarySchema>;

export const SpecimenPageSchema = z.object({ total: Count, offset: Count, items: z.array(SpecimenSummarySchema) });
export type SpecimenPage = z.output<typeof SpecimenPageSchema>;

export const SpecimenDetailSchema = z.object({
  specimen: SpecimenSchema,
  history: z.array(LabelChangeSchema),
  predictions: z.array(PredictionInfoSchema),
  /**
   * Models that can show their CBAM spatial attention over this photo (MA-ViT models whose file is still
   * there), newest first; `attention.get` computes the map. Empty until an MA-ViT model exists.
   */
  attention: z.array(z.object({ id: z.string(), name: z.string() })),
});
export type SpecimenDetail = z.output<typeof SpecimenDetailSchema>;

export const LabelOpSchema = z.object({ id: Id, description: z.string(), at: z.string(), source: z.enum(LABEL_SOURCES) });
export type LabelOp = z.output<typeof LabelOpSchema>;

