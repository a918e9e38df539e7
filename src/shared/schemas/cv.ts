// Cross-validation: its settings (every training setting, plus the folds), progress and result.
import { z } from 'zod';
import { Count, Id, InputErrorSchema } from './common';
import { ClassificationReportSchema, PerClassMetricsSchema } from './predictions';
import { TrainParamsSchema, TrainProgressSchema } from './train';

/**
 * `orelab cv` and the app's cv job: K models, each trained with the train settings on all but one fold of photo
 * groups. `outDir` holds the run (cv-plan.json, fold-K/, cv.json); the same command resumes it.
 */
export const CvParamsSchema = TrainParamsSchema.extend({
  folds: z.number().int().min(2).max(50).default(5),
  /** Seeds the fold assignment only, so that runs of two recipes share their folds. */
  foldSeed: z.number().int().min(0).max(2 ** 31 - 1).default(0),
  /** Score the held-out folds with test-time augmentation (training is unchanged, and reused). */
  tta: z.boolean().default(false),
  /** The catalogue's name for the run's out-of-fold predictions: the folder's name by default ("+tta" added with tta). */
  name: z.string().trim().min(1).max(200).optional(),
}).strict();
export type CvParams = z.output<typeof CvParamsSchema>;

export const CvProgressSchema = z.object({
  phase: z.enum(['preparing', 'training', 'scoring']),
  /** 0-based fold under way. */
  fold: Count,
  folds: Count,
  /** The fold's training, while it trains. */
  train: TrainProgressSchema.nullable(),
  scored: Count,
  toScore: Count,
});

const MeanSchema = z.object({ accuracy: z.number(), macro_f1: z.number() });
export const CvSummarySchema = z.object({
  name: z.string(),
  folds: z.array(z.object({ fold: Count, specimens: Count, accuracy: z.number(), macro_f1: z.number(), per_class: z.array(PerClassMetricsSchema), modelPath: z.string(), keptEpoch: Count.nullable() })),
  /** Every fold's out-of-fold predictions together, with intervals: the shape of `orelab eval --json`'s report. */
  pooled: ClassificationReportSchema,
  mean: MeanSchema,
  sd: MeanSchema,
  tta: z.boolean(),
  predicted: Count,
  /** Specimens left out: without a label (or under a merged class), and excluded by the user. */
  unlabeled: Count,
  excluded: Count.default(0),
  errors: z.array(InputErrorSchema),
  classes: z.array(z.string()),
  groups: Count,
  config: z.record(z.string(), z.unknown()),
});
export const CvResultSchema = z.object({
  status: z.enum(['completed', 'cancelled']),
  cvRunId: Id,
  summary: CvSummarySchema.nullable(),
  summaryPath: z.string().nullable(),
  resumedFolds: Count,
});

/** A cross-validation run as lists show it: its state, and its pooled figures once it finished. */
export const CvRunBriefSchema = z.object({
  id: Id,
  name: z.string(),
  status: z.enum(['running', 'completed', 'failed', 'cancelled']),
  folds: Count,
  createdAt: z.string(),
  finishedAt: z.string().nullable(),
  tta: z.boolean(),
  accuracy: z.number().nullable(),
  macroF1: z.number().nullable(),
  predicted: Count.nullable(),
});
export type CvRunBrief = z.output<typeof CvRunBriefSchema>;
/** A run's summary as the catalogue keeps it (cv.json without each fold's per-class table). */
export const StoredCvSummarySchema = CvSummarySchema.extend({ folds: z.array(CvSummarySchema.shape.folds.element.omit({ per_class: true })) });
