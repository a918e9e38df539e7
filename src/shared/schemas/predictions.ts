// Predictions, the classification reports built from them, and the relabel queue.
import { z } from 'zod';
import { SPLITS } from '../domain';
import type { ClassificationReport } from '../metrics';
import { Count, FsPath, Id, ModelId } from './common';
import { SplitSchema } from './splits';

export const PredictionBriefSchema = z.object({ predictedClass: z.string(), confidence: z.number() });

export const PredictionInfoSchema = z.object({
  modelId: z.string(),
  modelName: z.string(),
  predictedClass: z.string(),
  confidence: z.number(),
  probabilities: z.record(z.string(), z.number()),
  loss: z.number().nullable(),
  createdAt: z.string(),
});
export type PredictionInfo = z.output<typeof PredictionInfoSchema>;

/** A 95% interval, [lower, upper]. */
export const IntervalSchema = z.tuple([z.number(), z.number()]);

// The intervals are optional: every report this Orelab builds has the Wilson ones, and macro_f1_ci when it was
// built from the photos (not a bare confusion matrix); a report an older Orelab stored (a checkpoint) has none.
export const PerClassMetricsSchema = z.object({
  class: z.string(),
  precision: z.number(),
  recall: z.number(),
  f1: z.number(),
  support: Count,
  precision_ci: IntervalSchema.optional(),
  recall_ci: IntervalSchema.optional(),
});
/** One bin of the reliability diagram; an empty bin has no means. */
export const ReliabilityBinSchema = z.object({
  bin_lo: z.number(),
  bin_hi: z.number(),
  count: Count,
  mean_confidence: z.number().nullable(),
  accuracy: z.number().nullable(),
});
export const ClassificationReportSchema = z.object({
  classes: z.array(z.string()),
  accuracy: z.number(),
  macro_f1: z.number(),
  per_class: z.array(PerClassMetricsSchema),
  /** confusion[true][predicted], in `classes` order. */
  confusion: z.array(z.array(Count)),
  accuracy_ci: IntervalSchema.optional(),
  macro_f1_ci: IntervalSchema.optional(),
  // Calibration (shared/calibration.ts): only where the probabilities were known, so optional as the intervals.
  ece: z.number().optional(),
  reliability: z.array(ReliabilityBinSchema).optional(),
}) satisfies z.ZodType<ClassificationReport>;
export type ClassificationReportInfo = z.output<typeof ClassificationReportSchema>;

/** Where a report's predictions come from: those stored for a split (after evaluating it), or all stored ones. */
export const ReportScopeSchema = z.enum([...SPLITS, 'all']);
export type ReportScope = z.output<typeof ReportScopeSchema>;

export const ReportSchema = z.object({
  modelId: z.string(),
  scope: ReportScopeSchema,
  /** Labeled specimens scored (their label is one of the model's classes). */
  labeled: Count,
  /** Specimens of the scope that the model has not predicted yet (evaluate the split to fill them in). */
  unpredicted: Count,
  report: ClassificationReportSchema,
});
export type Report = z.output<typeof ReportSchema>;

/** A specimen with one model's prediction: confusion cells and the relabel queue. */
export const PredictedSpecimenSchema = z.object({
  id: Id,
  originalName: z.string(),
  sampleCode: z.string().nullable(),
  labelClassId: Id.nullable(),
  label: z.string().nullable(),
  split: SplitSchema.nullable(),
  flagged: z.boolean(),
  predictedClass: z.string(),
  confidence: z.number(),
  loss: z.number().nullable(),
  /** In the model's class order (the response's `classes`). */
  probabilities: z.array(z.number()),
});
export type PredictedSpecimen = z.output<typeof PredictedSpecimenSchema>;

export const RELABEL_RANKS = ['loss', 'confidence'] as const;
export const RELABEL_ACTIONS = ['accept', 'keep', 'flag'] as const;
export type RelabelAction = (typeof RELABEL_ACTIONS)[number];

export const CSV_KINDS = ['predictions', 'metrics', 'confusion'] as const;

/** Writes a model's predictions, per-class metrics or confusion matrix from the catalogue as CSV. */
export const ExportParamsSchema = z
  .object({ modelId: ModelId, kind: z.enum(CSV_KINDS), file: FsPath, scope: ReportScopeSchema.default('all') })
  .strict();
export type ExportParams = z.output<typeof ExportParamsSchema>;
export const ExportResultSchema = z.object({ modelId: z.string(), kind: z.enum(CSV_KINDS), file: z.string(), rows: Count });
export type ExportResult = z.output<typeof ExportResultSchema>;
