// Classifying (and sorting) a photo folder.
import { z } from 'zod';
import { Count, FsPath, InputErrorSchema, ModelId, Probability } from './common';
import { ClassificationReportSchema } from './predictions';

export const ClassifyParamsSchema = z
  .object({
    folder: FsPath,
    modelId: ModelId,
    /** The predictions CSV; metrics, confusion and errors CSVs are written beside it. null: no CSV. */
    csv: FsPath.nullable().default(null),
    sortInto: z.object({ dir: FsPath, mode: z.enum(['copy', 'move']) }).strict().nullable().default(null),
    /** Photos below this confidence go to DIR/_review and are marked for review. */
    reviewBelow: Probability.default(0),
    batchSize: z.number().int().min(1).max(256).default(8),
    /** Record the predictions in the catalogue (photos it does not know are imported). */
    recordInCatalogue: z.boolean().default(true),
    /** Test-time augmentation: each photo's probabilities are the mean over its 8 flips and quarter turns (8× the model's work). */
    tta: z.boolean().default(false),
  })
  .strict();
export type ClassifyParams = z.output<typeof ClassifyParamsSchema>;
export const ClassifyProgressSchema = z.object({
  done: Count,
  total: Count,
  classified: Count,
  resumed: Count,
  errors: Count,
  review: Count,
  imagesPerSecond: z.number().nullable(),
  etaSeconds: z.number().nullable(),
});
export const ClassifyResultSchema = z.object({
  folder: z.string(),
  modelId: z.string(),
  classes: z.array(z.string()),
  scanned: Count,
  classified: Count,
  resumed: Count,
  review: Count,
  errors: z.array(InputErrorSchema),
  predicted: z.record(z.string(), Count),
  report: ClassificationReportSchema.extend({ labeled: Count }).nullable(),
  files: z.object({ predictions: z.string(), metrics: z.string().nullable(), confusion: z.string().nullable(), errors: z.string() }).nullable(),
  sortedInto: z.string().nullable(),
  /** Photos a --move copied instead, because the folder does not own them (symlinks, files outside it): their originals stay. */
  copiedNotMoved: z.array(z.string()),
  cancelled: z.boolean(),
  seconds: z.number(),
  imagesPerSecond: z.number(),
  provider: z.string(),
  /** Whether the probabilities are test-time augmented. */
  tta: z.boolean(),
});
