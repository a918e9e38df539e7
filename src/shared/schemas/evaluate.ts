// Scoring a catalogue split with a model.
import { z } from 'zod';
import { Count, InputErrorSchema, ModelId } from './common';
import { ClassificationReportSchema } from './predictions';
import { SplitSchema } from './splits';

export const EvaluateParamsSchema = z
  .object({
    modelId: ModelId,
    split: SplitSchema,
    /** Test-time augmentation: each photo's probabilities are the mean over its 8 flips and quarter turns (8× the model's work). */
    tta: z.boolean().default(false),
  })
  .strict();
export type EvaluateParams = z.output<typeof EvaluateParamsSchema>;
export const EvaluateProgressSchema = z.object({ done: Count, total: Count });
export const EvaluateResultSchema = z.object({
  modelId: z.string(),
  split: SplitSchema,
  report: ClassificationReportSchema,
  /** Specimens of the split whose label is not one of the model's classes (not scored). */
  unknownLabels: Count,
  errors: z.array(InputErrorSchema),
  cancelled: z.boolean(),
  /** Whether the probabilities (recorded in place of the model's earlier ones) are test-time augmented. */
  tta: z.boolean(),
});
