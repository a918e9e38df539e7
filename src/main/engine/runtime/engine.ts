// TrainingEngine: the main-thread handle on the engine worker. Requests run in call order, one at a time in
// the worker; the rest wait in a queue here. cancel() drops every queued train chunk (their promises reject
// with EngineCancelledError); the chunk already running completes, so training stops between chunks and the
// state is always that after a whole chunk.
import type { Worker } from 'node:worker_threads';
import type { ChunkData, ChunkResult, EngineInit, EngineReady, FromWorker, StateSnapshot, ToWorker } from './protocol';
import { startWorker } from '../../base/worker-entry';

export class EngineCancelledError extends Error {
  constructor() {
    super('train chunk cancelled before it started');
  }
}

export class EngineError extends Error {}

/** A request without its id, distributed over the union. */
type Request = ToWorker extends infer T ? (T extends { id: number } ? Omit<T, 'id'> : never) : never;

interface Queued {
  req: Request;
  transfer: ArrayBuffer[];
  resolve: (msg: FromWorker) => void;
  reject: (err: Error) => void;
}

export class TrainingEngine {
  private nextId = 1;
  private readonly queue: Queued[] = [];
  private inFlight: (Queued & { id: number }) | null = null;
  private failure: Error | null = null;

  private constructor(
    private readonly worker: Worker,
    readonly ready: EngineReady,
  ) {
    worker.on('message', (msg: FromWorker) => {
      const job = this.inFlight;
      if (!job || job.id !== msg.id) return;
      this.inFlight = null;
      if (msg.type === 'error') job.reject(new EngineError(msg.message));
      else job.resolve(msg);
      this.pump();
    });
    const fail = (err: Error) => {
      this.failure ??= err;
      this.inFlight?.reject(err);
      this.inFlight = null;
      for (const q of this.queue.splice(0)) q.reject(err);
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new EngineError(`engine worker exited (code ${code})`)));
  }

  /** Starts a worker, builds the graphs, creates the sessions (CUDA first, then CPU) and loads the state. */
  static async start(init: EngineInit): Promise<TrainingEngine> {
    const worker = startWorker(import.meta.url, './worker.ts', 'engine-worker.js');
    try {
      let onMessage: ((msg: FromWorker) => void) | undefined;
      let onError: ((err: Error) => void) | undefined;
      const ready = await new Promise<EngineReady>((resolve, reject) => {
        onMessage = (msg: FromWorker) => {
          if (msg.type === 'ready') resolve(msg.ready);
          else reject(new EngineError(msg.type === 'error' ? msg.message : `unexpected reply ${msg.type}`));
        };
        onError = reject;
        worker.on('message', onMessage);
        worker.on('error', onError);
        worker.postMessage({ type: 'init', id: 0, init } satisfies ToWorker);
      }).finally(() => {
        // Only our own listeners: Worker keeps internal ones (removeAllListeners would break its port).
        if (onMessage) worker.off('message', onMessage);
        if (onError) worker.off('error', onError);
      });
      return new TrainingEngine(worker, ready);
    } catch (err) {
      await worker.terminate();
      throw err;
    }
  }

  private pump(): void {
    if (this.inFlight || this.failure) return;
    const next = this.queue.shift();
    if (!next) return;
    const id = this.nextId++;
    this.inFlight = { ...next, id };
    this.worker.postMessage({ ...next.req, id } as ToWorker, next.transfer);
  }

  private request(req: Request, transfer: ArrayBuffer[] = []): Promise<FromWorker> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      this.queue.push({ req, transfer, resolve, reject });
      this.pump();
    });
  }

  /** Queues one chunk of K steps. Its buffers are transferred to the worker when it starts. */
  async trainChunk(chunk: ChunkData): Promise<ChunkResult> {
    const buffers = [chunk.images, chunk.labels, chunk.lrs, ...(chunk.dropMasks ? [chunk.dropMasks] : [])].map((a) => a.buffer as ArrayBuffer);
    const msg = await this.request({ type: 'train', chunk }, [...new Set(buffers)]);
    if (msg.type !== 'trained') throw new EngineError(`unexpected reply ${msg.type}`);
    return msg.result;
  }

  /** Forward pass (no DropPath) on the current parameters: logits [count, C] and, for MA-ViT, the CBAM
   * spatial attention maps [count, H, W]. */
  async evaluate(images: Float32Array, count: number): Promise<{ logits: Float32Array; spatialAttention: Float32Array | null }> {
    const msg = await this.request({ type: 'evaluate', images, count });
    if (msg.type !== 'evaluated') throw new EngineError(`unexpected reply ${msg.type}`);
    return { logits: msg.logits, spatialAttention: msg.spatialAttention };
  }

  /** Writes parameters, moments and step atomically to `path`; resolves with the step saved. */
  async checkpoint(path: string, meta: Record<string, unknown> = {}): Promise<number> {
    const msg = await this.request({ type: 'checkpoint', path, meta });
    if (msg.type !== 'checkpointed') throw new EngineError(`unexpected reply ${msg.type}`);
    return msg.step;
  }

  async getState(): Promise<StateSnapshot> {
    const msg = await this.request({ type: 'getState' });
    if (msg.type !== 'state') throw new EngineError(`unexpected reply ${msg.type}`);
    return msg.state;
  }

  /** Drops every queued train chunk that has not started; returns how many were dropped. */
  cancel(): number {
    let dropped = 0;
    for (let i = this.queue.length - 1; i >= 0; i--) {
      const q = this.queue[i]!;
      if (q.req.type !== 'train') continue;
      this.queue.splice(i, 1);
      q.reject(new EngineCancelledError());
      dropped++;
    }
    return dropped;
  }

  /** Waits for queued requests, releases the sessions and ends the worker. */
  async close(): Promise<void> {
    if (!this.failure) await this.request({ type: 'close' });
    await this.worker.terminate();
  }
}
