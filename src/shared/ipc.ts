// The one typed contract between the renderer and the main process (Electron IPC or the HTTP harness).
//
// - REQUESTS: invoke-style channels, each a zod schema for the request and one for the response. The main
//   process validates every request here before any service sees it (src/main/ipc/dispatcher.ts), and
//   parses every response, so nothing undeclared leaves the main process.
// - EVENTS: main → renderer pushes (job progress, job finished, catalogue changed, menu commands).
// - JOBS: long-running work (import, train, evaluate, classify) started through `jobs.start`, with a
//   kind-specific params / progress / result schema each.
//
// The renderer imports this file for TYPES ONLY (`import type`): zod's JIT probes `new Function`, which the
// renderer's CSP forbids, so zod must stay out of the renderer bundle.
//
// Adding a request channel: add an entry to REQUESTS, then a handler in src/main/ipc/dispatcher.ts (the
// compiler insists on it). Adding a job kind: add its schemas to JOB_KINDS and to the three unions below
// (JobStartSchema, JobInfoSchema, JobProgressEventSchema), then a JobDefinition in src/main/ipc/jobs.ts.
import { z } from 'zod';
import {
  LABEL_SOURCES,
  SPLITS,
  type CatalogueStats,
  type ClassInfo,
  type ClassStats,
  type ImportSummary,
  type LabelChange,
  type Specimen,
} from './domain';
import { PAGE_IDS } from './pages';
import type { ClassificationReport } from './metrics';
import { ModelMetadataSchema } from './model-metadata';

export { PAGE_IDS, type PageId } from './pages';

// ---------------------------------------------------------------------------------------------------------
// Building blocks

const Id = z.number().int().positive();
const Count = z.number().int().nonnegative();
const Text = (max: number) => z.string().max(max);
/** An absolute or relative file-system path typed or chosen by the user. */
const FsPath = z.string().trim().min(1, 'path is empty').max(4096);

export const SplitSchema = z.enum(SPLITS);
export const SplitFilterSchema = z.enum([...SPLITS, 'unassigned']);

export const ClassInfoSchema = z.object({ id: Id, name: z.string(), count: Count }) satisfies z.ZodType<ClassInfo>;

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
}) satisfies z.ZodType<LabelChange>;

const SplitCountsSchema = z.object({ train: Count, val: Count, test: Count, unassigned: Count });

export const ClassStatsSchema = z.object({
  name: z.string(),
  count: Count,
  share: z.number(),
  weightInverse: z.number(),
  weightEffective: z.number(),
  imbalanceRatio: z.number(),
  splits: SplitCountsSchema,
}) satisfies z.ZodType<ClassStats>;

export const CatalogueStatsSchema = z.object({
  total: Count,
  labeled: Count,
  unlabeled: Count,
  classCount: Count,
  beta: z.number(),
  imbalanceRatio: z.number(),
  classes: z.array(ClassStatsSchema),
  splits: SplitCountsSchema,
}) satisfies z.ZodType<CatalogueStats>;

/** The open catalogue. `key` changes each time a catalogue is opened; image URLs carry it (see shared/images). */
export const CatalogueInfoSchema = z.object({
  path: z.string(),
  name: z.string(),
  key: z.string(),
  schemaVersion: Count,
  specimens: Count,
});
export type CatalogueInfo = z.output<typeof CatalogueInfoSchema>;

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
    /** Labeled specimens whose prediction differs from the label. */
    mismatch: z.boolean().optional(),
    confidenceMin: z.number().min(0).max(1).optional(),
    confidenceMax: z.number().min(0).max(1).optional(),
    modelId: Text(200).optional(),
  })
  .strict();
export type SpecimenFilter = z.output<typeof SpecimenFilterSchema>;

export const PredictionBriefSchema = z.object({ predictedClass: z.string(), confidence: z.number() });

/** One grid cell's worth of a specimen: small, so pages of a 50k catalogue stay cheap. */
export const SpecimenSummarySchema = z.object({
  id: Id,
  originalName: z.string(),
  labelClassId: Id.nullable(),
  label: z.string().nullable(),
  split: SplitSchema.nullable(),
  sampleCode: z.string().nullable(),
  flagged: z.boolean(),
  prediction: PredictionBriefSchema.nullable(),
});
export type SpecimenSummary = z.output<typeof SpecimenSummarySchema>;

export const SpecimenPageSchema = z.object({ total: Count, offset: Count, items: z.array(SpecimenSummarySchema) });
export type SpecimenPage = z.output<typeof SpecimenPageSchema>;

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

export const UndoResultSchema = z.object({ undoneOpId: Id, description: z.string(), reverted: Count, skipped: Count });

export const SplitRatiosSchema = z
  .object({ train: z.number().min(0).max(1000), val: z.number().min(0).max(1000), test: z.number().min(0).max(1000) })
  .strict()
  .refine((r) => r.train + r.val + r.test > 0, { message: 'at least one ratio must be above 0' });

export const SplitResultSchema = z.object({
  seed: Count,
  assigned: Count,
  alreadyAssigned: Count,
  unlabeled: Count,
  perClass: z.record(z.string(), z.object({ train: Count, val: Count, test: Count })),
});

export const ModelBriefSchema = z.object({ id: z.string(), name: z.string(), createdAt: z.string(), predictions: Count });
export type ModelBrief = z.output<typeof ModelBriefSchema>;

// ---------------------------------------------------------------------------------------------------------
// Models, runs, reports, relabel

/** A model id as the catalogue stores it (16 hex digits of the file's sha256); a unique prefix is accepted. */
const ModelId = z.string().trim().min(4, 'model id is too short').max(64);
const Probability = z.number().min(0).max(1);

export const PerClassMetricsSchema = z.object({ class: z.string(), precision: z.number(), recall: z.number(), f1: z.number(), support: Count });
export const ClassificationReportSchema = z.object({
  classes: z.array(z.string()),
  accuracy: z.number(),
  macro_f1: z.number(),
  per_class: z.array(PerClassMetricsSchema),
  /** confusion[true][predicted], in `classes` order. */
  confusion: z.array(z.array(Count)),
}) satisfies z.ZodType<ClassificationReport>;
export type ClassificationReportInfo = z.output<typeof ClassificationReportSchema>;

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
  /** This epoch's weights became the kept (best-validation) checkpoint when it finished. */
  kept: z.boolean(),
});
export type EpochMetrics = z.output<typeof EpochMetricsSchema>;

export const VARIANTS = ['mavit', 'vit', 'vit-weighted'] as const;
export const BACKBONES = ['vit-ti', 'vit-s', 'vit-b'] as const;
export const DEVICES = ['auto', 'cpu', 'cuda'] as const;
export const RUN_STATUSES = ['running', 'completed', 'failed', 'cancelled'] as const;

/** What a training run needs (the renderer's form; a resumed run repeats the settings it was started with). */
export const TrainParamsSchema = z
  .object({
    /** The run's folder: checkpoint, model.onnx, report.json. An unfinished run there with the same settings resumes. */
    outDir: FsPath,
    variant: z.enum(VARIANTS).default('mavit'),
    backbone: z.enum(BACKBONES).default('vit-ti'),
    /** Pretrained backbone weights: omitted = the bundled ViT-Ti weights, null = random initialisation. */
    weights: FsPath.nullable().optional(),
    epochs: z.number().int().min(1).max(10_000),
    batchSize: z.number().int().min(1).max(1024),
    lr: z.number().gt(0).max(1),
    weightDecay: z.number().min(0).max(1),
    seed: z.number().int().min(0).max(2 ** 31 - 1),
    device: z.enum(DEVICES).default('auto'),
    weighting: z.enum(['inverse', 'effective']).default('inverse'),
    beta: z.number().min(0).lt(1).optional(),
    cbamGate: z.enum(['residual', 'plain']).default('residual'),
    warmupEpochs: z.number().int().min(0).max(10_000).default(0),
    /** Quick trial runs: a smaller input (a multiple of 16) and fewer photos per class. */
    imageSize: z.number().int().min(32).max(1024).multipleOf(16, 'image size must be a multiple of 16 (the patch size)').default(224),
    limitPerClass: z.number().int().min(1).max(1_000_000).nullable().default(null),
    /** Start over even if the folder holds an unfinished run. */
    restart: z.boolean().default(false),
  })
  .strict();
export type TrainParams = z.output<typeof TrainParamsSchema>;
export type TrainParamsInput = z.input<typeof TrainParamsSchema>;

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
  /** The settings it was started with, as `train` params: what Resume sends again. */
  settings: TrainParamsSchema,
  /** Not finished, and its checkpoint is still in outDir: starting it again resumes. */
  resumable: z.boolean(),
  modelId: z.string().nullable(),
});
export type RunSummary = z.output<typeof RunSummarySchema>;

export const KeptCheckpointSchema = z.object({ epoch: Count, valAccuracy: z.number(), valLoss: z.number().nullable(), reason: z.string() });
export type KeptCheckpoint = z.output<typeof KeptCheckpointSchema>;

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

// ---------------------------------------------------------------------------------------------------------
// Jobs

export const JOB_STATUSES = ['running', 'completed', 'failed', 'cancelled'] as const;
export const JobStatusSchema = z.enum(JOB_STATUSES);
export type JobStatus = z.output<typeof JobStatusSchema>;

const InputErrorSchema = z.object({ path: z.string(), reason: z.string() });

export const ImportParamsSchema = z
  .object({ folder: FsPath, labelsFromFolders: z.boolean().default(false) })
  .strict();
export const ImportProgressSchema = z.object({
  done: Count,
  total: Count,
  new: Count,
  duplicates: Count,
  errors: Count,
  currentPath: z.string(),
});
export const ImportResultSchema = z.object({
  folder: z.string(),
  scanned: Count,
  new: Count,
  duplicates: Count,
  labeled: Count,
  skippedNonImage: Count,
  errors: z.array(InputErrorSchema),
  warnings: z.array(InputErrorSchema),
  classes: z.record(z.string(), Count),
  specimensTotal: Count,
  seconds: z.number(),
  imagesPerSecond: z.number(),
  cancelled: z.boolean(),
}) satisfies z.ZodType<ImportSummary & { cancelled: boolean }>;

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

export const EvaluateParamsSchema = z.object({ modelId: ModelId, split: SplitSchema }).strict();
export const EvaluateProgressSchema = z.object({ done: Count, total: Count });
export const EvaluateResultSchema = z.object({
  modelId: z.string(),
  split: SplitSchema,
  report: ClassificationReportSchema,
  /** Specimens of the split whose label is not one of the model's classes (not scored). */
  unknownLabels: Count,
  errors: z.array(InputErrorSchema),
  cancelled: z.boolean(),
});

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
  })
  .strict();
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
  cancelled: z.boolean(),
  seconds: z.number(),
  imagesPerSecond: z.number(),
  provider: z.string(),
});

/** Every job kind: what starts it, what it reports while running, what it returns. */
export const JOB_KINDS = {
  import: { params: ImportParamsSchema, progress: ImportProgressSchema, result: ImportResultSchema },
  train: { params: TrainParamsSchema, progress: TrainProgressSchema, result: TrainResultSchema },
  evaluate: { params: EvaluateParamsSchema, progress: EvaluateProgressSchema, result: EvaluateResultSchema },
  classify: { params: ClassifyParamsSchema, progress: ClassifyProgressSchema, result: ClassifyResultSchema },
} as const;
export type JobKind = keyof typeof JOB_KINDS;
export type JobParams<K extends JobKind> = z.output<(typeof JOB_KINDS)[K]['params']>;
export type JobProgress<K extends JobKind> = z.output<(typeof JOB_KINDS)[K]['progress']>;
export type JobResult<K extends JobKind> = z.output<(typeof JOB_KINDS)[K]['result']>;

// Each helper takes the kind's schemas as arguments rather than indexing JOB_KINDS with a generic key: the
// latter widens every field to the union of all kinds, and `Extract<JobInfo, {kind: 'import'}>` would lose
// its result type.
type KindSchemas<P extends z.ZodType, Pr extends z.ZodType, R extends z.ZodType> = { params: P; progress: Pr; result: R };

function jobStart<K extends JobKind, P extends z.ZodType, Pr extends z.ZodType, R extends z.ZodType>(kind: K, s: KindSchemas<P, Pr, R>) {
  return z.object({ kind: z.literal(kind), params: s.params }).strict();
}
function jobInfo<K extends JobKind, P extends z.ZodType, Pr extends z.ZodType, R extends z.ZodType>(kind: K, s: KindSchemas<P, Pr, R>) {
  return z.object({
    id: z.string(),
    kind: z.literal(kind),
    status: JobStatusSchema,
    startedAt: z.string(),
    finishedAt: z.string().nullable(),
    params: s.params,
    progress: z.nullable(s.progress),
    result: z.nullable(s.result),
    error: z.string().nullable(),
  });
}
function jobProgressEvent<K extends JobKind, P extends z.ZodType, Pr extends z.ZodType, R extends z.ZodType>(kind: K, s: KindSchemas<P, Pr, R>) {
  return z.object({ jobId: z.string(), kind: z.literal(kind), progress: s.progress });
}

export const JobStartSchema = z.discriminatedUnion('kind', [jobStart('import', JOB_KINDS.import), jobStart('train', JOB_KINDS.train), jobStart('evaluate', JOB_KINDS.evaluate), jobStart('classify', JOB_KINDS.classify)]);
export type JobStartRequest = z.output<typeof JobStartSchema>;
export const JobInfoSchema = z.discriminatedUnion('kind', [jobInfo('import', JOB_KINDS.import), jobInfo('train', JOB_KINDS.train), jobInfo('evaluate', JOB_KINDS.evaluate), jobInfo('classify', JOB_KINDS.classify)]);
export type JobInfo = z.output<typeof JobInfoSchema>;
export const JobProgressEventSchema = z.discriminatedUnion('kind', [
  jobProgressEvent('import', JOB_KINDS.import),
  jobProgressEvent('train', JOB_KINDS.train),
  jobProgressEvent('evaluate', JOB_KINDS.evaluate),
  jobProgressEvent('classify', JOB_KINDS.classify),
]);
export type JobProgressEvent = z.output<typeof JobProgressEventSchema>;

// ---------------------------------------------------------------------------------------------------------
// Request channels

const Empty = z.object({}).strict();
const channel = <Req extends z.ZodType, Res extends z.ZodType>(request: Req, response: Res) => ({ request, response });

export const REQUESTS = {
  /** Which shell the renderer runs in and what it can do there (native dialogs only in Electron). */
  'app.info': channel(
    Empty,
    z.object({ version: z.string(), shell: z.enum(['electron', 'harness']), capabilities: z.object({ nativeDialogs: z.boolean() }) }),
  ),
  /** Native dialogs (Electron only; the harness answers `unavailable`). A null path means the user cancelled. */
  'dialog.chooseFolder': channel(z.object({ title: Text(200).optional() }).strict(), z.object({ path: z.string().nullable() })),
  'dialog.chooseCatalogue': channel(z.object({ mode: z.enum(['open', 'create']) }).strict(), z.object({ path: z.string().nullable() })),
  /** Native save dialog for a CSV (Electron only). */
  'dialog.saveFile': channel(z.object({ title: Text(200).optional(), defaultPath: Text(4096).optional() }).strict(), z.object({ path: z.string().nullable() })),
  /**
   * Shows a folder in the file manager (Electron: shell.openPath). Folders only: a file could be a program.
   * The harness cannot open a window on the desktop: it answers opened: false and the page shows the path.
   */
  'files.openFolder': channel(z.object({ path: FsPath }).strict(), z.object({ opened: z.boolean(), path: z.string() })),

  'catalogue.current': channel(Empty, z.object({ catalogue: CatalogueInfoSchema.nullable() })),
  /** Opens a catalogue file (create: true makes a new one and refuses an existing file). Refused while a job runs. */
  'catalogue.open': channel(z.object({ path: FsPath, create: z.boolean().default(false) }).strict(), z.object({ catalogue: CatalogueInfoSchema })),
  'catalogue.stats': channel(z.object({ beta: z.number().min(0).lt(1).optional() }).strict(), CatalogueStatsSchema),

  'classes.list': channel(Empty, z.object({ classes: z.array(ClassInfoSchema) })),
  'classes.add': channel(z.object({ name: Text(200) }).strict(), z.object({ class: ClassInfoSchema })),
  'classes.rename': channel(z.object({ classId: Id, name: Text(200) }).strict(), z.object({ class: ClassInfoSchema })),
  /** Moves every specimen of one class into another as one undoable label operation. */
  'classes.merge': channel(z.object({ fromClassId: Id, intoClassId: Id }).strict(), z.object({ moved: Count, opId: Count })),

  /** A window of the filtered specimens, ordered by id: the grid asks for the rows it shows. */
  'specimens.page': channel(
    z.object({ filter: SpecimenFilterSchema, offset: Count, limit: z.number().int().min(1).max(1000) }).strict(),
    SpecimenPageSchema,
  ),
  /** The ids of the filtered specimens in [offset, offset + limit): range and select-all selections. */
  'specimens.ids': channel(
    z.object({ filter: SpecimenFilterSchema, offset: Count.default(0), limit: z.number().int().min(1).max(200_000) }).strict(),
    z.object({ ids: z.array(Id), total: Count }),
  ),
  'specimens.get': channel(z.object({ id: Id }).strict(), SpecimenDetailSchema),
  /** Edits metadata; an empty string clears a field. */
  'specimens.update': channel(
    z
      .object({
        id: Id,
        patch: z
          .object({ sampleCode: Text(200).nullable().optional(), site: Text(500).nullable().optional(), notes: Text(10_000).nullable().optional(), flagged: z.boolean().optional() })
          .strict(),
      })
      .strict(),
    z.object({ specimen: SpecimenSchema }),
  ),

  /** Sets (classId) or clears (null) the label of specimens as one undoable operation. */
  'labels.assign': channel(
    z.object({ specimenIds: z.array(Id).min(1, 'select at least one specimen').max(200_000), classId: Id.nullable() }).strict(),
    z.object({ opId: Count, changed: Count }),
  ),
  /** Reverts the newest label operation not yet undone (a label, a bulk label, a merge, an import's folder labels). */
  'labels.undo': channel(Empty, z.object({ undone: UndoResultSchema.nullable() })),
  /** What `labels.undo` would revert now. */
  'labels.lastOp': channel(Empty, z.object({ op: LabelOpSchema.nullable() })),

  /** Stratified split of labeled specimens that have none yet; existing assignments are kept. */
  'splits.assign': channel(z.object({ seed: z.number().int().min(0).max(2 ** 31 - 1), ratios: SplitRatiosSchema }).strict(), SplitResultSchema),

  /** Models that have predictions in this catalogue, newest first (empty until a model has run). */
  'predictions.models': channel(Empty, z.object({ models: z.array(ModelBriefSchema) })),

  /** The recipe's defaults, a fresh output folder beside the catalogue, and the bundled backbone weights. */
  'training.defaults': channel(
    Empty,
    z.object({
      recipe: z.object({ epochs: Count, batchSize: Count, lr: z.number(), weightDecay: z.number() }),
      outDir: z.string(),
      defaultWeights: z.object({ path: z.string(), exists: z.boolean() }),
    }),
  ),
  /** Training runs of this catalogue, newest first. */
  'runs.list': channel(Empty, z.object({ runs: z.array(RunSummarySchema) })),
  /** One run with its per-epoch metrics and the kept checkpoint (which epoch, and why). */
  'runs.get': channel(
    z.object({ id: Id }).strict(),
    z.object({ run: RunSummarySchema, epochs: z.array(EpochMetricsSchema), kept: KeptCheckpointSchema.nullable() }),
  ),

  /** Models known to this catalogue (trained here, or used to classify or evaluate), newest first. */
  'models.list': channel(Empty, z.object({ models: z.array(ModelSummarySchema) })),
  /** Adds a model file (an Orelab model.onnx trained elsewhere, e.g. on a GPU workstation) to this catalogue. */
  'models.add': channel(z.object({ path: FsPath }).strict(), z.object({ model: ModelSummarySchema })),
  'models.get': channel(z.object({ id: ModelId }).strict(), z.object({ model: ModelSummarySchema, metadata: ModelMetadataSchema.nullable() })),

  /** A model's per-class metrics and confusion matrix from its stored predictions (of one split, or all). */
  'reports.get': channel(z.object({ modelId: ModelId, scope: ReportScopeSchema }).strict(), ReportSchema),
  /** The specimens behind one confusion-matrix cell (true class × predicted class), by id. */
  'reports.cell': channel(
    z
      .object({
        modelId: ModelId,
        scope: ReportScopeSchema,
        trueClass: Text(200),
        predictedClass: Text(200),
        offset: Count.default(0),
        limit: z.number().int().min(1).max(1000).default(200),
      })
      .strict(),
    z.object({ total: Count, classes: z.array(z.string()), items: z.array(PredictedSpecimenSchema) }),
  ),
  /** Writes a model's predictions, per-class metrics or confusion matrix as CSV (what `orelab export` writes). */
  'reports.exportCsv': channel(
    z.object({ modelId: ModelId, kind: z.enum(CSV_KINDS), scope: ReportScopeSchema.default('all'), path: FsPath }).strict(),
    z.object({ path: z.string(), rows: Count }),
  ),

  /**
   * The relabel queue of one model: labeled specimens it predicts differently (misclassified) and specimens
   * it is unsure of (confidence below `doubtfulBelow`), not yet reviewed for this model, ranked by loss
   * (highest first) or confidence (lowest first).
   */
  'relabel.candidates': channel(
    z
      .object({
        modelId: ModelId,
        rank: z.enum(RELABEL_RANKS).default('loss'),
        doubtfulBelow: Probability.default(0.5),
        offset: Count.default(0),
        limit: z.number().int().min(1).max(500).default(50),
      })
      .strict(),
    z.object({ total: Count, classes: z.array(z.string()), items: z.array(PredictedSpecimenSchema) }),
  ),
  /**
   * Decides a queued specimen: accept the prediction as its label, keep its label, or flag it for an expert.
   * Each is one label operation (history row, and `labels.undo` reverts it, flag included), and takes the
   * specimen out of this model's queue.
   */
  'relabel.apply': channel(
    z.object({ modelId: ModelId, specimenId: Id, action: z.enum(RELABEL_ACTIONS) }).strict(),
    z.object({ opId: Id, description: z.string(), label: z.string().nullable() }),
  ),

  /** The CBAM spatial attention of an MA-ViT model over a specimen's model input (the centre crop). */
  'attention.get': channel(
    z.object({ specimenId: Id, modelId: ModelId }).strict(),
    z.object({
      modelId: z.string(),
      /** The map is size × size, row-major, values 0..1. */
      size: Count,
      map: z.array(z.number()),
      /** The square the model saw, as fractions of the oriented photo: centre crop of the short side. */
      crop: z.object({ left: z.number(), top: z.number(), width: z.number(), height: z.number() }),
      predictedClass: z.string(),
      confidence: z.number(),
    }),
  ),

  'jobs.start': channel(JobStartSchema, z.object({ job: JobInfoSchema })),
  'jobs.cancel': channel(z.object({ jobId: z.string() }).strict(), z.object({ cancelled: z.boolean() })),
  /** Running and recently finished jobs, so a reloaded renderer can pick up where it was. */
  'jobs.list': channel(Empty, z.object({ jobs: z.array(JobInfoSchema) })),
} as const;

export type RequestChannel = keyof typeof REQUESTS;
/** What a caller sends (defaults may be omitted). */
export type RequestOf<C extends RequestChannel> = z.input<(typeof REQUESTS)[C]['request']>;
/** What a handler receives, after validation and defaults. */
export type ParsedRequestOf<C extends RequestChannel> = z.output<(typeof REQUESTS)[C]['request']>;
export type ResponseOf<C extends RequestChannel> = z.output<(typeof REQUESTS)[C]['response']>;

export function isRequestChannel(name: string): name is RequestChannel {
  return Object.prototype.hasOwnProperty.call(REQUESTS, name);
}

// ---------------------------------------------------------------------------------------------------------
// Events (main → renderer)

export const MENU_COMMANDS = ['import-folder', 'open-catalogue', 'navigate', 'show-shortcuts'] as const;

export const EVENTS = {
  'job.progress': JobProgressEventSchema,
  /** A job's final state (completed, failed or cancelled). */
  'job.finished': JobInfoSchema,
  /** Another catalogue was opened (menu, dialog), or it was closed. */
  'catalogue.changed': z.object({ catalogue: CatalogueInfoSchema.nullable() }),
  /** The app menu asks the renderer to do something that needs its UI. */
  'menu.command': z.object({ command: z.enum(MENU_COMMANDS), page: z.enum(PAGE_IDS).optional() }),
} as const;

export type EventChannel = keyof typeof EVENTS;
export type EventOf<E extends EventChannel> = z.output<(typeof EVENTS)[E]>;
export type EventMessage = { [E in EventChannel]: { event: E; payload: EventOf<E> } }[EventChannel];

// ---------------------------------------------------------------------------------------------------------
// Results and errors: both transports carry this envelope, so error codes survive Electron's IPC and HTTP.

export const IPC_ERROR_CODES = [
  'invalid-request',
  'unknown-channel',
  'no-catalogue',
  'not-found',
  'conflict',
  'busy',
  'unavailable',
  'internal',
] as const;
export type IpcErrorCode = (typeof IPC_ERROR_CODES)[number];

export interface IpcIssue {
  /** Dotted path of the offending field, e.g. "specimenIds.0"; "" for the payload itself. */
  path: string;
  message: string;
}

export interface IpcErrorInfo {
  code: IpcErrorCode;
  message: string;
  issues?: IpcIssue[];
}

export type IpcResult<T> = { ok: true; value: T } | { ok: false; error: IpcErrorInfo };
