// Models as the catalogue lists them.
import { z } from 'zod';
import { Count } from './common';

export const ModelBriefSchema = z.object({ id: z.string(), name: z.string(), createdAt: z.string(), predictions: Count });
export type ModelBrief = z.output<typeof ModelBriefSchema>;

export const ModelSummarySchema = z.object({
  id: z.string(),
  name: z.string(),
  path: z.string(),
  createdAt: z.string(),
  runId: z.number().int().nullable(),
  classes: z.array(z.string()),
  variant: z.string(),
  backbone: z.string(),
  imageSize: Count,
  /** MA-ViT: the model outputs its CBAM spatial attention map. */
  hasAttention: z.boolean(),
  fileExists: z.boolean(),
  predictions: Count,
  /** Metrics written into the model when it was trained (validation, test). */
  metrics: z.array(z.object({ split: z.string(), accuracy: z.number(), macro_f1: z.number() })),
});
export type ModelSummary = z.output<typeof ModelSummarySchema>;
