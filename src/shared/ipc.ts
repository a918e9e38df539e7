// The one typed contract between the renderer and the main process (Electron IPC or the HTTP harness).
//
// - REQUESTS: invoke-style channels, each a zod schema for the request and one for the response. The main
//   process validates every request here before any service sees it (src/main/ipc/dispatcher.ts), and
//   parses every response, so nothing undeclared leaves the main process.
// - EVENTS: main → renderer pushes (job progress, job finished, catalogue changed, menu commands).
// - JOBS: long-running work (import now; train/eval/classify later) started through `jobs.start`, with a
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
   * The CBAM attention overlay. Always null until the engine exposes attention maps; the detail panel
   * already has its slot. Give it a schema (e.g. an image URL per model) when that lands.
   */
  attention: z.null(),
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

/** Every job kind: what starts it, what it reports while running, what it returns. */
export const JOB_KINDS = {
  import: { params: ImportParamsSchema, progress: ImportProgressSchema, result: ImportResultSchema },
} as const;
export type JobKind = keyof typeof JOB_KINDS;
export type JobParams<K extends JobKind> = z.output<(typeof JOB_KINDS)[K]['params']>;
export type JobProgress<K extends JobKind> = z.output<(typeof JOB_KINDS)[K]['progress']>;
export type JobResult<K extends JobKind> = z.output<(typeof JOB_KINDS)[K]['result']>;

function jobStart<K extends JobKind>(kind: K) {
  return z.object({ kind: z.literal(kind), params: JOB_KINDS[kind].params }).strict();
}
function jobInfo<K extends JobKind>(kind: K) {
  return z.object({
    id: z.string(),
    kind: z.literal(kind),
    status: JobStatusSchema,
    startedAt: z.string(),
    finishedAt: z.string().nullable(),
    params: JOB_KINDS[kind].params,
    progress: JOB_KINDS[kind].progress.nullable(),
    result: JOB_KINDS[kind].result.nullable(),
    error: z.string().nullable(),
  });
}
function jobProgressEvent<K extends JobKind>(kind: K) {
  return z.object({ jobId: z.string(), kind: z.literal(kind), progress: JOB_KINDS[kind].progress });
}

export const JobStartSchema = z.discriminatedUnion('kind', [jobStart('import')]);
export type JobStartRequest = z.output<typeof JobStartSchema>;
export const JobInfoSchema = z.discriminatedUnion('kind', [jobInfo('import')]);
export type JobInfo = z.output<typeof JobInfoSchema>;
export const JobProgressEventSchema = z.discriminatedUnion('kind', [jobProgressEvent('import')]);
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
