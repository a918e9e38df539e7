// Training runs as the catalogue records them.
import { z } from 'zod';
import { Count, Id } from './common';
import { RUN_STATUSES, TrainParamsSchema } from './train';

export const RunSummarySchema = z.object({
  id: Id,
  createdAt: z.string(),
  finishedAt: z.string().nullable(),
  status: z.enum(RUN_STATUSES),
  variant: z.string(),
  backbone: z.string(),
  outDir: z.string(),
  classes: z.array(z.string()),
  classWeights: z.array(z.number()),
  bestEpoch: z.number().int().nullable(),
  bestValAccuracy: z.number().nullable(),
  error: z.string().nullable(),
  epochsDone: Count,
  /**
   * The settings it was started with, as `train` params: what Resume sends again. Null when the stored
   * settings name a variant or backbone this Orelab does not know (`settingsProblem` says which).
   */
  settings: TrainParamsSchema.nullable(),
  settingsProblem: z.string().nullable(),
  /** Not finished, and its checkpoint is still in outDir: starting it again resumes. */
  resumable: z.boolean(),
  modelId: z.string().nullable(),
  /**
   * The cross-validation this run is a fold of (from the catalogue's cv runs), or null for a run of its own. A
   * fold trains on its fold's photos, which its stored settings do not say: the cross-validation resumes it.
   */
  cvFold: z.object({ run: z.string(), fold: z.number().int().positive() }).nullable(),
});
export type RunSummary = z.output<typeof RunSummarySchema>;

export const KeptCheckpointSchema = z.object({ epoch: Count, valAccuracy: z.number(), valLoss: z.number().nullable(), reason: z.string() });
export type KeptCheckpoint = z.output<typeof KeptCheckpointSchema>;
