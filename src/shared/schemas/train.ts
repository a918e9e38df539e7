// Training: its settings (one schema for the CLI, the IPC and the renderer's form), progress and result.
import { z } from 'zod';
import { Count, FsPath, Id, InputErrorSchema } from './common';
import { ClassificationReportSchema } from './predictions';
import { BACKBONES, CBAM_GATES, DEVICES, KEEP_RULES, RECIPE, TRAIN_DEFAULTS, VARIANTS, WEIGHTINGS } from '../training-options';

export const EpochMetricsSchema = z.object({
  epoch: Count,
  trainLoss: z.number(),
  trainAccuracy: z.number(),
  valLoss: z.number().nullable(),
  valAccuracy: z.number().nullable(),
  valMacroF1: z.number().nullable(),
  learningRate: z.number(),
  seconds: z.number(),
  imagesPerSecond: z.number(),
  /** This epoch's weights became the kept checkpoint (by the run's keep rule) when it finished. */
  kept: z.boolean(),
});
export type EpochMetrics = z.output<typeof EpochMetricsSchema>;

export { VARIANTS, BACKBONES, DEVICES } from '../training-options';
export const RUN_STATUSES = ['running', 'completed', 'failed', 'cancelled'] as const;

/**
 * What a training run needs: one schema for the CLI's flags, the IPC job and the renderer's form (a resumed
 * run repeats the settings it was started with). The choices come from shared/training-options.ts; numbers
 * the user leaves out take the paper's recipe.
 */
export const TrainParamsSchema = z
  .object({
    /** The run's folder: checkpoint, model.onnx, report.json. An unfinished run there with the same settings resumes. */
    outDir: FsPath,
    variant: z.enum(VARIANTS).default('mavit'),
    backbone: z.enum(BACKBONES).default('vit-ti'),
    /** Pretrained backbone weights: omitted = the bundled ViT-Ti weights, null = random initialisation. */
    weights: FsPath.nullable().optional(),
    epochs: z.number().int().min(1).max(10_000).default(RECIPE.epochs),
    batchSize: z.number().int().min(1).max(1024).default(RECIPE.batchSize),
    lr: z.number().gt(0).max(1).default(RECIPE.lr),
    weightDecay: z.number().min(0).max(1).default(RECIPE.weightDecay),
    seed: z.number().int().min(0).max(2 ** 31 - 1).default(0),
    device: z.enum(DEVICES).default('auto'),
    weighting: z.enum(WEIGHTINGS).default('inverse'),
    beta: z.number().min(0).lt(1).optional(),
    cbamGate: z.enum(CBAM_GATES).default('residual'),
    warmupEpochs: z.number().int().min(0).max(10_000).default(0),
    /** The ViT's stochastic depth rate (DropPath, linear over the blocks up to this); 0 turns it off (the paper). */
    dropPath: z.number().min(0).lt(1).default(TRAIN_DEFAULTS.dropPath),
    /** Which epoch's weights the run keeps and exports. */
    keep: z.enum(KEEP_RULES).default(TRAIN_DEFAULTS.keep),
    /** Quick trial runs: a smaller input (a multiple of 16) and fewer photos per class. */
    imageSize: z.number().int().min(32).max(1024).multipleOf(16, 'image size must be a multiple of 16 (the patch size)').default(224),
    limitPerClass: z.number().int().min(1).max(1_000_000).nullable().default(null),
    /** Start over even if the folder holds an unfinished run. */
    restart: z.boolean().default(false),
  })
  .strict();
export type TrainParams = z.output<typeof TrainParamsSchema>;
export type TrainParamsInput = z.input<typeof TrainParamsSchema>;

export const TrainProgressSchema = z.object({
  phase: z.enum(['preparing', 'training', 'validating', 'exporting']),
  /** 0-based epoch under way. */
  epoch: Count,
  epochs: Count,
  step: Count,
  stepsPerEpoch: Count,
  trainLoss: z.number().nullable(),
  trainAccuracy: z.number().nullable(),
  imagesPerSecond: z.number().nullable(),
  etaSeconds: z.number().nullable(),
  message: z.string().nullable(),
  /** The catalogue's run, once it exists. */
  runId: Id.nullable(),
  /** Every finished epoch of the run so far (a resumed run's earlier ones too): the curves never miss a point. */
  epochsDone: z.array(EpochMetricsSchema),
  /** Running training loss after each chunk of steps, x in epochs (e.g. 1.5 = half-way through the 2nd). */
  trace: z.array(z.object({ x: z.number(), loss: z.number() })),
});
export const TrainResultSchema = z.object({
  runId: Id,
  status: z.enum(['completed', 'cancelled']),
  outDir: z.string(),
  modelPath: z.string().nullable(),
  modelId: z.string().nullable(),
  reportPath: z.string().nullable(),
  provider: z.string(),
  providerNote: z.string().nullable(),
  classes: z.array(z.string()),
  classWeights: z.array(z.number()),
  epochs: z.array(EpochMetricsSchema),
  best: z.object({ epoch: Count, valAccuracy: z.number(), valLoss: z.number(), reason: z.string() }).nullable(),
  validation: ClassificationReportSchema.nullable(),
  test: ClassificationReportSchema.nullable(),
  resumedFrom: z.object({ epoch: Count, batch: Count }).nullable(),
  dataErrors: z.array(InputErrorSchema),
  trainSeconds: z.number(),
  trainImagesPerSecond: z.number(),
});
