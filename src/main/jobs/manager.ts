// Long jobs (import, training, evaluation, batch classification): start → job id, progress
// streamed as events, cancel, and a final state. A job is a JobDefinition per kind of the IPC contract
// (shared/ipc JOB_KINDS). Its run() must not block the main thread: work that does (training, inference)
// runs in a worker thread and run() awaits it (the training engine's and the classifier's workers), while
// async work like the import runs here.
import type { JobInfo, JobKind, JobParams, JobProgress, JobProgressEvent, JobResult, JobStartRequest, JobStatus } from '../../shared/ipc';
import { UserError } from '../../shared/errors';

export interface JobContext<K extends JobKind> {
  readonly jobId: string;
  /** Aborted by cancel(): stop at the next safe point and return what was done (or throw). */
  readonly signal: AbortSignal;
  /** Reports progress; the manager forwards it, at most every `progressIntervalMs`, and always the last one. */
  progress(p: JobProgress<K>): void;
}

export interface JobDefinition<K extends JobKind> {
  /** At most one job of this kind at a time. */
  exclusive?: boolean;
  /** Refuses bad params before a job exists (throw an IpcError): the caller gets the error, not a failed job. */
  check?(params: JobParams<K>): void | Promise<void>;
  run(params: JobParams<K>, ctx: JobContext<K>): Promise<JobResult<K>>;
}

export type JobDefinitions = { [K in JobKind]: JobDefinition<K> };

export interface JobSink {
  progress(event: JobProgressEvent): void;
  finished(info: JobInfo): void;
}

export class JobBusyError extends UserError {
  constructor(message: string) {
    super('busy', message);
  }
}

interface Entry {
  info: JobInfo;
  controller: AbortController;
  done: Promise<JobInfo>;
  lastEmit: number;
  timer: ReturnType<typeof setTimeout> | null;
  pendingProgress: boolean;
}

const KEEP_FINISHED = 50;

export class JobManager {
  private readonly jobs = new Map<string, Entry>();
  private seq = 0;
  private readonly interval: number;

  constructor(
    /** Every kind in the app (src/main/ipc/jobs.ts); tests may give only the kinds they exercise. */
    private readonly definitions: Partial<JobDefinitions>,
    private readonly sink: JobSink,
    options: { progressIntervalMs?: number } = {},
  ) {
    this.interval = options.progressIntervalMs ?? 100;
  }

  /** Starts a job and returns its initial state; progress and the final state arrive through the sink. */
  async start(request: JobStartRequest): Promise<JobInfo> {
    const definition = this.definitions[request.kind] as JobDefinition<JobKind> | undefined;
    if (!definition) throw new RangeError(`this app cannot run ${request.kind} jobs`);
    if (definition.exclusive && this.list().some((j) => j.kind === request.kind && j.status === 'running')) {
      throw new JobBusyError(`a ${request.kind} job is already running; wait for it or cancel it`);
    }
    await definition.check?.(request.params);
    const id = `job-${++this.seq}`;
    const controller = new AbortController();
    const info = {
      id,
      kind: request.kind,
      status: 'running',
      startedAt: new Date().toISOString(),
      finishedAt: null,
      params: request.params,
      progress: null,
      result: null,
      error: null,
    } as JobInfo;
    const entry: Entry = { info, controller, done: Promise.resolve(info), lastEmit: 0, timer: null, pendingProgress: false };
    const ctx: JobContext<JobKind> = {
      jobId: id,
      signal: controller.signal,
      progress: (p) => this.report(entry, p),
    };
    this.jobs.set(id, entry);
    entry.done = this.execute(entry, definition, ctx);
    return { ...info };
  }

  private async execute(entry: Entry, definition: JobDefinition<JobKind>, ctx: JobContext<JobKind>): Promise<JobInfo> {
    let status: JobStatus;
    let result: JobResult<JobKind> | null = null;
    let error: string | null = null;
    try {
      result = await definition.run(entry.info.params, ctx);
      status = entry.controller.signal.aborted ? 'cancelled' : 'completed';
    } catch (err) {
      status = entry.controller.signal.aborted ? 'cancelled' : 'failed';
      error = err instanceof Error ? err.message : String(err);
    }
    if (entry.timer) clearTimeout(entry.timer);
    entry.timer = null;
    if (entry.pendingProgress) this.emitProgress(entry);
    entry.info = { ...entry.info, status, result, error, finishedAt: new Date().toISOString() } as JobInfo;
    this.prune();
    this.sink.finished({ ...entry.info });
    return { ...entry.info };
  }

  private report(entry: Entry, progress: JobProgress<JobKind>): void {
    if (entry.info.status !== 'running') return;
    entry.info = { ...entry.info, progress } as JobInfo;
    entry.pendingProgress = true;
    const now = Date.now();
    if (now - entry.lastEmit >= this.interval) {
      this.emitProgress(entry);
    } else if (!entry.timer) {
      entry.timer = setTimeout(() => {
        entry.timer = null;
        if (entry.pendingProgress && entry.info.status === 'running') this.emitProgress(entry);
      }, this.interval - (now - entry.lastEmit));
    }
  }

  private emitProgress(entry: Entry): void {
    entry.pendingProgress = false;
    entry.lastEmit = Date.now();
    if (entry.info.progress === null) return;
    this.sink.progress({ jobId: entry.info.id, kind: entry.info.kind, progress: entry.info.progress } as JobProgressEvent);
  }

  private prune(): void {
    const finished = [...this.jobs.values()].filter((e) => e.info.status !== 'running');
    for (const e of finished.slice(0, Math.max(0, finished.length - KEEP_FINISHED))) this.jobs.delete(e.info.id);
  }

  /** Asks a running job to stop; false if there is no such running job. */
  cancel(id: string): boolean {
    const entry = this.jobs.get(id);
    if (!entry || entry.info.status !== 'running') return false;
    entry.controller.abort();
    return true;
  }

  get(id: string): JobInfo | undefined {
    const entry = this.jobs.get(id);
    return entry && { ...entry.info };
  }

  /** Running and recently finished jobs, oldest first. */
  list(): JobInfo[] {
    return [...this.jobs.values()].map((e) => ({ ...e.info }));
  }

  isBusy(): boolean {
    return [...this.jobs.values()].some((e) => e.info.status === 'running');
  }

  /** Resolves with a job's final state. */
  async wait(id: string): Promise<JobInfo> {
    const entry = this.jobs.get(id);
    if (!entry) throw new RangeError(`no job ${id}`);
    return entry.done;
  }

  /** Cancels every running job and waits for all of them to stop (before closing the catalogue). */
  async cancelAll(): Promise<void> {
    const running = [...this.jobs.values()].filter((e) => e.info.status === 'running');
    for (const e of running) e.controller.abort();
    await Promise.all(running.map((e) => e.done));
  }
}
