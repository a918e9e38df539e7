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
import { PAGE_IDS } from './pages';
import { ModelMetadataSchema } from './model-metadata';

export { PAGE_IDS, type PageId } from './pages';

export * from './schemas';
import {
  CSV_KINDS,
  CatalogueInfoSchema,
  CatalogueStatsSchema,
  ClassAddParamsSchema,
  ClassInfoSchema,
  ClassMergeResultSchema,
  ClassifyParamsSchema,
  ClassifyProgressSchema,
  ClassifyResultSchema,
  CompareParamsSchema,
  CvParamsSchema,
  LabelIssuesParamsSchema,
  LabelIssuesProgressSchema,
  LabelIssuesResultSchema,
  CvProgressSchema,
  CvResultSchema,
  CvRunBriefSchema,
  StoredCvSummarySchema,
  CompareResultSchema,
  Count,
  EpochMetricsSchema,
  EvaluateParamsSchema,
  EvaluateProgressSchema,
  EvaluateResultSchema,
  ExcludeParamsSchema,
  ExclusionResultSchema,
  FsPath,
  GroupsListParamsSchema,
  GroupsListResultSchema,
  GroupsSeparateParamsSchema,
  GroupsSeparateResultSchema,
  Id,
  ImportParamsSchema,
  ImportProgressSchema,
  ImportResultSchema,
  IncludeParamsSchema,
  KeptCheckpointSchema,
  LabelParamsSchema,
  LabelResultSchema,
  LabelOpSchema,
  LabelOpEffectSchema,
  LabelOpOutcomeSchema,
  LabelOpPreviewParamsSchema,
  LabelOpTargetSchema,
  ModelBriefSchema,
  ModelId,
  ModelSummarySchema,
  PredictedSpecimenSchema,
  Probability,
  RELABEL_ACTIONS,
  RELABEL_RANKS,
  ReportSchema,
  ReportScopeSchema,
  RunSummarySchema,
  SpecimenDetailSchema,
  SpecimenFilterSchema,
  SpecimenPageSchema,
  SpecimenSchema,
  SplitParamsSchema,
  SplitResultSchema,
  SplitAuditSchema,
  SplitFixResultSchema,
  StatsParamsSchema,
  Text,
  TrainParamsSchema,
  TrainProgressSchema,
  TrainResultSchema,
} from './schemas';

// ---------------------------------------------------------------------------------------------------------
// Jobs

export const JOB_STATUSES = ['running', 'completed', 'failed', 'cancelled'] as const;
export const JobStatusSchema = z.enum(JOB_STATUSES);
export type JobStatus = z.output<typeof JobStatusSchema>;

/** Every job kind: what starts it, what it reports while running, what it returns. */
export const JOB_KINDS = {
  import: { params: ImportParamsSchema, progress: ImportProgressSchema, result: ImportResultSchema },
  train: { params: TrainParamsSchema, progress: TrainProgressSchema, result: TrainResultSchema },
  evaluate: { params: EvaluateParamsSchema, progress: EvaluateProgressSchema, result: EvaluateResultSchema },
  classify: { params: ClassifyParamsSchema, progress: ClassifyProgressSchema, result: ClassifyResultSchema },
  cv: { params: CvParamsSchema, progress: CvProgressSchema, result: CvResultSchema },
  'label-issues': { params: LabelIssuesParamsSchema, progress: LabelIssuesProgressSchema, result: LabelIssuesResultSchema },
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

export const JobStartSchema = z.discriminatedUnion('kind', [jobStart('import', JOB_KINDS.import), jobStart('train', JOB_KINDS.train), jobStart('evaluate', JOB_KINDS.evaluate), jobStart('classify', JOB_KINDS.classify), jobStart('cv', JOB_KINDS.cv), jobStart('label-issues', JOB_KINDS['label-issues'])]);
export type JobStartRequest = z.output<typeof JobStartSchema>;
export const JobInfoSchema = z.discriminatedUnion('kind', [jobInfo('import', JOB_KINDS.import), jobInfo('train', JOB_KINDS.train), jobInfo('evaluate', JOB_KINDS.evaluate), jobInfo('classify', JOB_KINDS.classify), jobInfo('cv', JOB_KINDS.cv), jobInfo('label-issues', JOB_KINDS['label-issues'])]);
export type JobInfo = z.output<typeof JobInfoSchema>;
export const JobProgressEventSchema = z.discriminatedUnion('kind', [
  jobProgressEvent('import', JOB_KINDS.import),
  jobProgressEvent('train', JOB_KINDS.train),
  jobProgressEvent('evaluate', JOB_KINDS.evaluate),
  jobProgressEvent('classify', JOB_KINDS.classify),
  jobProgressEvent('cv', JOB_KINDS.cv),
  jobProgressEvent('label-issues', JOB_KINDS['label-issues']),
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
  'catalogue.stats': channel(StatsParamsSchema, CatalogueStatsSchema),

  'classes.list': channel(Empty, z.object({ classes: z.array(ClassInfoSchema) })),
  'classes.add': channel(ClassAddParamsSchema, z.object({ class: ClassInfoSchema })),
  'classes.rename': channel(z.object({ classId: Id, name: Text(200) }).strict(), z.object({ class: ClassInfoSchema })),
  /** Moves every specimen of one class into another as one undoable label operation. */
  'classes.merge': channel(z.object({ fromClassId: Id, intoClassId: Id }).strict(), ClassMergeResultSchema),

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
  'labels.assign': channel(LabelParamsSchema, LabelResultSchema),
  /**
   * Reverts one label operation (a label, a bulk label, a merge, an import's folder labels): `opId`, else the
   * newest not yet undone. One already undone is refused. The app confirms a bulk one first (labels.preview).
   */
  'labels.undo': channel(LabelOpTargetSchema, z.object({ undone: LabelOpOutcomeSchema.nullable() })),
  /** Re-applies an undone operation (`opId`, else that of the newest undo not itself undone). */
  'labels.redo': channel(LabelOpTargetSchema, z.object({ redone: LabelOpOutcomeSchema.nullable() })),
  /** What labels.undo or labels.redo would change now (counts, bulk or not), changing nothing. */
  'labels.preview': channel(LabelOpPreviewParamsSchema, z.object({ effect: LabelOpEffectSchema.nullable() })),
  /** What `labels.undo` would revert now. */
  'labels.lastOp': channel(Empty, z.object({ op: LabelOpSchema.nullable() })),
  /**
   * Excludes photos from training, evaluation, splitting and cross-validation (they stay in the catalogue, label
   * and split kept), or includes them again: one undoable label operation each; labels.undo reverts it.
   */
  'labels.exclude': channel(ExcludeParamsSchema, ExclusionResultSchema),
  'labels.include': channel(IncludeParamsSchema, ExclusionResultSchema),

  /** Stratified split of labeled specimens that have none yet; existing assignments are kept. */
  'splits.assign': channel(SplitParamsSchema, SplitResultSchema),
  /** The photo groups that span splits (a rock trained on and tested on). */
  'splits.audit': channel(Empty, SplitAuditSchema),
  /** Moves each leaking group into the split of its first specimen, as one undoable operation. */
  'splits.fix': channel(Empty, SplitFixResultSchema),

  /** Photo groups of two or more specimens and why they are linked (sample code, near-duplicate photos, embeddings
   * of a model when named); specimens without perceptual hashes are hashed first. */
  'groups.list': channel(GroupsListParamsSchema, GroupsListResultSchema),
  /** "These are two rocks": the named specimens leave their groups; the cut persists. A shared sample code is refused. */
  'groups.separate': channel(GroupsSeparateParamsSchema, GroupsSeparateResultSchema),

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
  /**
   * Paired comparison of two models on a split they were both evaluated on, or of two cross-validation runs:
   * both sides with intervals, the paired differences, McNemar's exact test, the discordant specimens (`orelab compare`).
   */
  'reports.compare': channel(CompareParamsSchema, CompareResultSchema),
  /** Cross-validation runs of this catalogue, newest first (`orelab cv`, or the cv job). */
  'cv.list': channel(Empty, z.object({ runs: z.array(CvRunBriefSchema) })),
  /** One cross-validation run: its pooled out-of-fold report with intervals and its folds (null until it finished). */
  'cv.get': channel(z.object({ name: Text(200) }).strict(), z.object({ run: CvRunBriefSchema, summary: StoredCvSummarySchema.nullable() })),
  /** The specimens behind one cell of a cross-validation run's pooled confusion matrix. */
  'cv.cell': channel(
    z
      .object({ name: Text(200), trueClass: Text(200), predictedClass: Text(200), offset: Count.default(0), limit: z.number().int().min(1).max(1000).default(200) })
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

  /**
   * The CBAM spatial gate of an MA-ViT model over a specimen's model input (the centre crop): the factor the
   * model actually multiplies each pixel by, not the raw σ(z) output (issue 13, "An honest overlay").
   */
  'attention.get': channel(
    z.object({ specimenId: Id, modelId: ModelId }).strict(),
    z.object({
      modelId: z.string(),
      /** The model's pre-filter: `cbam-residual` applies x·2σ(z), `cbam-plain` x·σ(z). */
      prefilter: z.enum(['cbam-residual', 'cbam-plain']),
      /** The gate is size × size, row-major. */
      size: Count,
      /**
       * The applied spatial gate per pixel: 2σ(z) (residual, 0..2) or σ(z) (plain, 0..1); 1 = no change. Rounded
       * to 1e-5, not 1e-3: a trained gate often moves by only ±0.5%, which 1e-3 would cut into ten bands.
       */
      gate: z.array(z.number()),
      /** False while the model file does not output CBAM's channel gate (the overlay shows the spatial one only). */
      channelGate: z.literal(false),
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
