import os from 'node:os';
import path from 'node:path';
import type { Worker } from 'node:worker_threads';
import type { ModelRecord } from '../../catalogue';
import { encodeModelMetadata, modelVariant } from '../../../shared/model-metadata';
import { AUGREG_PREPROCESS, type PreprocessSpec } from '../../images/preprocess';
import { cudaUnavailableReason, type ExecutionProvider } from '../../engine';
import { startWorker } from '../../base/worker-entry';
import type { BatchClassifier } from '../batch-classifier';
import { ModelFileError, readModelFile, type ModelFile } from './model-file';
import type { FromInferenceWorker, ToInferenceWorker } from './protocol';

export interface ClassifierOptions {
  providers?: ExecutionProvider[];
  /** CPU intra-op threads per worker (default: the cores shared out among the workers, at least one). */
  intraOpThreads?: number;
  /** Largest batch to run at once when the model accepts any batch size. */
  maxBatch?: number;
  /** Inference workers, each with its own session (default: see defaultWorkerCount). */
  workers?: number;
}

type RunResult = { probabilities: Float32Array; attention: Float32Array | null };

/** Models above this size get one worker by default: every worker holds its own copy of the weights. */
const LARGE_MODEL_BYTES = 256 * 1024 * 1024;

/**
 * Two workers when there are two cores or more and the model is not large, each with half the cores. Two
 * sessions, each running its own batch, keep the cores busy with fewer barriers: intra-op parallelism waits
 * at the end of every op for its slowest thread (an op with little work, a thread descheduled by another
 * process). Measured on the 2-core box (MA-ViT-Ti, batch 8): two workers of one thread ≈ 1.1× one worker of
 * two threads when the box is otherwise idle, up to ≈ 2× under background load (docs/ENGINE.md).
 */
export function defaultWorkerCount(modelBytes: number, cores = os.availableParallelism()): number {
  return cores >= 2 && modelBytes <= LARGE_MODEL_BYTES ? 2 : 1;
}

interface Slot {
  worker: Worker;
  busy: boolean;
}

/**
 * An exported Orelab model.onnx, run in worker threads (one session each; a batch runs on whichever worker is
 * free, so up to `concurrency` batches run at once). A model with a fixed batch dimension gets its last,
 * partial batch padded with zeros (and the padding's outputs dropped).
 */
export class OnnxClassifier implements BatchClassifier {
  readonly modelId: string;
  readonly classes: readonly string[];
  readonly preprocessing: PreprocessSpec;
  readonly maxBatch: number;
  /** Batches that can run at once (the number of workers). */
  readonly concurrency: number;
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (r: Extract<FromInferenceWorker, { type: 'result' }>) => void; reject: (e: Error) => void }>();
  /** Input buffers the workers handed back, reused for later batches (no fresh multi-MB allocation per batch). */
  private readonly spare: Float32Array[] = [];
  /** Batches waiting for a free worker, in call order. */
  private readonly queue: { msg: Extract<ToInferenceWorker, { type: 'run' }>; transfer: ArrayBuffer[] }[] = [];
  private readonly slots: Slot[];
  private failure: Error | null = null;

  private constructor(
    readonly model: ModelFile,
    workers: Worker[],
    readonly provider: ExecutionProvider,
    readonly skippedProviders: { provider: ExecutionProvider; reason: string }[],
    maxBatch: number,
  ) {
    this.modelId = model.id;
    this.classes = model.metadata.classes;
    const p = model.metadata.preprocessing;
    this.preprocessing = { ...AUGREG_PREPROCESS, size: p.size, cropFraction: p.crop_fraction, mean: p.mean, std: p.std };
    this.maxBatch = model.batchSize ?? maxBatch;
    this.concurrency = workers.length;
    this.slots = workers.map((worker) => ({ worker, busy: false }));
    const fail = (err: Error) => {
      this.failure ??= err;
      for (const p of this.pending.values()) p.reject(err);
      this.pending.clear();
      this.queue.length = 0;
    };
    for (const slot of this.slots) {
      slot.worker.on('message', (msg: FromInferenceWorker) => {
        const id = msg.type === 'result' || msg.type === 'error' ? msg.id : null;
        if (id === null) return;
        const p = this.pending.get(id);
        this.pending.delete(id);
        slot.busy = false;
        if (msg.type === 'result') p?.resolve(msg);
        else if (msg.type === 'error') p?.reject(new Error(msg.message));
        this.pump();
      });
      slot.worker.on('error', fail);
      slot.worker.on('exit', (code) => fail(new Error(`inference worker exited (code ${code})`)));
    }
  }

  static async open(modelPath: string, options: ClassifierOptions = {}): Promise<OnnxClassifier> {
    const model = readModelFile(modelPath);
    const count = Math.max(1, options.workers ?? defaultWorkerCount(model.bytes.length));
    const init: Extract<ToInferenceWorker, { type: 'init' }> = {
      type: 'init',
      modelPath: model.path,
      names: { input: model.metadata.input, probabilities: model.metadata.outputs.probabilities, attention: model.metadata.outputs.attention },
      ...(options.providers ? { providers: options.providers } : {}),
      intraOpThreads: options.intraOpThreads ?? Math.max(1, Math.floor(os.availableParallelism() / count)),
    };
    const workers: Worker[] = [];
    const start = async (): Promise<Extract<FromInferenceWorker, { type: 'ready' }>> => {
      const worker = startWorker(import.meta.url, './worker.ts', 'inference-worker.js');
      workers.push(worker);
      worker.postMessage(init);
      return workerReady(worker, modelPath);
    };
    try {
      // When CUDA may run, one worker finds out first: a GPU session wants no second copy. On the CPU all
      // workers start together.
      const cudaMayRun = (options.providers ?? ['cuda', 'cpu']).includes('cuda') && cudaUnavailableReason() === null;
      const first = cudaMayRun ? await start() : null;
      if (first) init.providers = [first.provider];
      const rest = first?.provider === 'cuda' && options.workers === undefined ? 0 : count - (first ? 1 : 0);
      const readies = [...(first ? [first] : []), ...(await Promise.all(Array.from({ length: rest }, start)))];
      return new OnnxClassifier(model, workers, readies[0]!.provider, readies[0]!.skipped, options.maxBatch ?? 16);
    } catch (err) {
      await Promise.all(workers.map((w) => w.terminate()));
      throw err;
    }
  }

  catalogueRecord(): Omit<ModelRecord, 'createdAt'> {
    const m = this.model.metadata;
    return {
      id: this.modelId,
      path: path.resolve(this.model.path),
      // The metadata's training_run.run_id is the run in the catalogue that trained the model, which may be
      // another catalogue: it stays in the metadata as provenance. Only the trainer links its own run.
      runId: null,
      name: `${modelVariant(m)} ${m.architecture.backbone} (${path.basename(this.model.path)})`,
      classes: [...m.classes],
      metadata: encodeModelMetadata(m),
    };
  }

  async classify(images: Float32Array, count: number): Promise<Float32Array> {
    return (await this.infer(images, count, false)).probabilities;
  }

  /** Probabilities [count, C] and, for MA-ViT, the CBAM spatial attention [count, 1, S, S]. Batches of one
   * call run concurrently on the free workers. `images` is copied before this returns. */
  run(images: Float32Array, count: number): Promise<RunResult> {
    return this.infer(images, count, true);
  }

  private async infer(images: Float32Array, count: number, withAttention: boolean): Promise<RunResult> {
    if (this.failure) throw this.failure;
    const s = this.preprocessing.size;
    const perImage = 3 * s * s;
    const c = this.classes.length;
    const probabilities = new Float32Array(count * c);
    const attention = withAttention && this.model.metadata.outputs.attention ? new Float32Array(count * s * s) : null;
    const parts: Promise<void>[] = [];
    for (let start = 0; start < count; start += this.maxBatch) {
      const n = Math.min(this.maxBatch, count - start);
      const batch = this.model.batchSize ?? n;
      const input = this.inputBuffer(batch * perImage);
      input.set(images.subarray(start * perImage, (start + n) * perImage));
      // A reused buffer holds an earlier batch: the padding of a partial batch is zeroed.
      if (n < batch) input.fill(0, n * perImage);
      const at = start;
      parts.push(
        this.submit(input, [batch, 3, s, s], attention !== null).then((result) => {
          // The graph's declared shapes were checked at load (model-file.ts); a symbolic class dimension can
          // only be checked here, and a wrong count would shift every row onto the wrong classes.
          if (result.probabilities.length !== batch * c) {
            throw new ModelFileError(
              `${this.model.path}: output "${this.model.metadata.outputs.probabilities}" gave ${result.probabilities.length / batch} values per image, but the metadata lists ${c} classes; the file does not match its own metadata, so it cannot be used`,
            );
          }
          probabilities.set(result.probabilities.subarray(0, n * c), at * c);
          if (attention && result.attention) attention.set(result.attention.subarray(0, n * s * s), at * s * s);
        }),
      );
    }
    await Promise.all(parts);
    return { probabilities, attention };
  }

  private inputBuffer(length: number): Float32Array {
    const i = this.spare.findIndex((b) => b.length === length);
    return i >= 0 ? this.spare.splice(i, 1)[0]! : new Float32Array(length);
  }

  private submit(images: Float32Array, dims: number[], attention: boolean): Promise<Extract<FromInferenceWorker, { type: 'result' }>> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      if (this.failure) return reject(this.failure);
      this.pending.set(id, {
        resolve: (result) => {
          if (this.spare.length < this.concurrency + 2) this.spare.push(result.images);
          resolve(result);
        },
        reject,
      });
      this.queue.push({ msg: { type: 'run', id, images, dims, attention }, transfer: [images.buffer as ArrayBuffer] });
      this.pump();
    });
  }

  /** Hands queued batches to free workers. */
  private pump(): void {
    for (const slot of this.slots) {
      if (slot.busy) continue;
      const next = this.queue.shift();
      if (!next) return;
      slot.busy = true;
      slot.worker.postMessage(next.msg, next.transfer);
    }
  }

  /**
   * Stops the workers. Never with worker.terminate() while a session runs: ORT's native completion then
   * throws into a torn-down environment and std::terminate aborts the whole process (seen in
   * test/classify/evaluate.test.ts, 2 of 3 runs). Each worker finishes the batch it is in, releases its
   * session and exits; batches not yet started are refused at once.
   */
  async close(): Promise<void> {
    const closed = new Error('inference worker exited: the classifier was closed');
    this.failure ??= closed;
    for (const p of this.pending.values()) p.reject(closed);
    this.pending.clear();
    this.queue.length = 0;
    await Promise.all(
      this.slots.map(
        (slot) =>
          new Promise<void>((resolve) => {
            // threadId is -1 once the thread has stopped (possibly before 'exit' is emitted).
            if (slot.worker.threadId === -1) return resolve();
            slot.worker.once('exit', () => resolve());
            slot.worker.postMessage({ type: 'close' } satisfies ToInferenceWorker);
          }),
      ),
    );
  }
}

function workerReady(worker: Worker, modelPath: string): Promise<Extract<FromInferenceWorker, { type: 'ready' }>> {
  return new Promise((resolve, reject) => {
    const done = () => {
      worker.off('message', onMessage);
      worker.off('error', onError);
      worker.off('exit', onExit);
    };
    const onMessage = (msg: FromInferenceWorker) => {
      if (msg.type === 'ready') {
        done();
        resolve(msg);
      } else if (msg.type === 'error') {
        done();
        reject(new Error(`${modelPath}: ${msg.message}`));
      }
    };
    const onError = (err: Error) => {
      done();
      reject(err);
    };
    const onExit = (code: number) => {
      done();
      reject(new Error(`inference worker exited during start-up (code ${code})`));
    };
    worker.on('message', onMessage);
    worker.on('error', onError);
    worker.on('exit', onExit);
  });
}
