// Runs an embedding graph (engine/export/embedding.ts) in the inference worker (jobs/inference/worker.ts),
// the one esbuild already bundles: its protocol names the output to fetch, so the worker fetches `embedding`
// where a classifier's worker fetches `probabilities`. Like the classifier, two workers of one intra-op thread
// each on a 2-core box (docs/ENGINE.md, "Inference graph": the best setting for ViT-Ti batches, idle or under
// load), each running its own batch.
import { once } from 'node:events';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Worker } from 'node:worker_threads';
import { startWorker } from '../../base/worker-entry';
import { embeddingNames, type ExecutionProvider } from '../../engine';
import type { PreprocessSpec } from '../../images/preprocess';
import type { FromInferenceWorker, ToInferenceWorker } from '../inference/protocol';

/** What the embed job needs: the input it takes and batched vectors. */
export interface BatchEmbedder {
  readonly dim: number;
  readonly preprocessing: PreprocessSpec;
  /** Images per call (the graph's fixed batch). */
  readonly batchSize: number;
  /** Calls that can run at once (one per worker). */
  readonly concurrency: number;
  /** `images` holds `count` ≤ batchSize images [3, S, S] and is taken over (transferred to a worker);
   * returns count × dim values. */
  embed(images: Float32Array, count: number): Promise<Float32Array>;
}

export interface EmbedderOptions {
  providers?: ExecutionProvider[];
  workers?: number;
  intraOpThreads?: number;
}

interface Slot {
  worker: Worker;
  /** The request this worker is running, if any (one at a time). */
  running: { resolve: (v: Float32Array) => void; reject: (e: Error) => void } | null;
}

export class OnnxEmbedder implements BatchEmbedder {
  readonly concurrency: number;
  private readonly idle: Slot[];
  private readonly waiting: { resolve: (slot: Slot) => void; reject: (e: Error) => void }[] = [];
  private nextId = 1;
  private failure: Error | null = null;

  private constructor(
    private readonly slots: Slot[],
    readonly dim: number,
    readonly batchSize: number,
    readonly preprocessing: PreprocessSpec,
    readonly provider: ExecutionProvider,
  ) {
    this.concurrency = slots.length;
    this.idle = [...slots];
    for (const slot of slots) {
      slot.worker.on('message', (msg: FromInferenceWorker) => {
        if (msg.type === 'ready') return;
        const running = slot.running;
        slot.running = null;
        if (msg.type === 'result') running?.resolve(msg.probabilities);
        else running?.reject(new Error(msg.message));
        this.release(slot);
      });
      const fail = (err: Error) => {
        this.failure ??= err;
        slot.running?.reject(err);
        slot.running = null;
        for (const w of this.waiting.splice(0)) w.reject(err);
      };
      slot.worker.on('error', fail);
      slot.worker.on('exit', (code) => fail(new Error(`inference worker exited (code ${code})`)));
    }
  }

  /** Starts the workers on an embedding graph (`graph.bytes`, fixed batch `batchSize`, output [B, dim]). */
  static async open(graph: { bytes: Uint8Array; dim: number }, batchSize: number, preprocessing: PreprocessSpec, options: EmbedderOptions = {}): Promise<OnnxEmbedder> {
    const count = Math.max(1, options.workers ?? (os.availableParallelism() >= 2 ? 2 : 1));
    // The worker's session reads a file: the graph goes to a private temp folder, removed once every session
    // has loaded it.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'orelab-embed-'));
    const file = path.join(dir, 'embedding.onnx');
    fs.writeFileSync(file, graph.bytes);
    const init: ToInferenceWorker = {
      type: 'init',
      modelPath: file,
      // The worker fetches the output named `probabilities` in its protocol: here, the embedding.
      names: { input: embeddingNames.images, probabilities: embeddingNames.embedding, attention: null },
      ...(options.providers ? { providers: options.providers } : {}),
      intraOpThreads: options.intraOpThreads ?? Math.max(1, Math.floor(os.availableParallelism() / count)),
    };
    const workers: Worker[] = [];
    try {
      const readies = await Promise.all(
        Array.from({ length: count }, () => {
          const worker = startWorker(import.meta.url, '../inference/worker.ts', 'inference-worker.js');
          workers.push(worker);
          worker.postMessage(init);
          return ready(worker);
        }),
      );
      return new OnnxEmbedder(
        workers.map((worker) => ({ worker, running: null })),
        graph.dim,
        batchSize,
        preprocessing,
        readies[0]!.provider,
      );
    } catch (err) {
      await Promise.all(workers.map((w) => w.terminate()));
      throw err;
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }

  async embed(images: Float32Array, count: number): Promise<Float32Array> {
    const s = this.preprocessing.size;
    const perImage = 3 * s * s;
    if (count < 1 || count > this.batchSize || images.length < count * perImage) throw new Error(`embed: ${count} images in ${images.length} values for a batch of ${this.batchSize}`);
    // The graph's batch is fixed: a short batch is padded with zeros, and the padding's vectors dropped.
    let input = images;
    if (images.length !== this.batchSize * perImage) {
      input = new Float32Array(this.batchSize * perImage);
      input.set(images.subarray(0, count * perImage));
    }
    const slot = await this.acquire();
    const vectors = await new Promise<Float32Array>((resolve, reject) => {
      slot.running = { resolve, reject };
      const msg: ToInferenceWorker = { type: 'run', id: this.nextId++, images: input, dims: [this.batchSize, 3, s, s], attention: false };
      slot.worker.postMessage(msg, [input.buffer as ArrayBuffer]);
    });
    if (vectors.length !== this.batchSize * this.dim) throw new Error(`the embedding graph gave ${vectors.length} values for ${this.batchSize} × ${this.dim}`);
    return vectors.subarray(0, count * this.dim);
  }

  private acquire(): Promise<Slot> {
    if (this.failure) return Promise.reject(this.failure);
    const slot = this.idle.pop();
    if (slot) return Promise.resolve(slot);
    return new Promise((resolve, reject) => this.waiting.push({ resolve, reject }));
  }

  private release(slot: Slot): void {
    const next = this.waiting.shift();
    if (next) next.resolve(slot);
    else this.idle.push(slot);
  }

  /** Stops the workers: each finishes the batch it runs (never terminated inside ORT: see OnnxClassifier.close). */
  async close(): Promise<void> {
    const closed = new Error('the embedder was closed');
    this.failure ??= closed;
    for (const w of this.waiting.splice(0)) w.reject(closed);
    await Promise.all(
      this.slots.map(async ({ worker }) => {
        if (worker.threadId === -1) return; // already stopped
        const exited = once(worker, 'exit');
        worker.postMessage({ type: 'close' } satisfies ToInferenceWorker);
        await exited;
      }),
    );
  }
}

function ready(worker: Worker): Promise<Extract<FromInferenceWorker, { type: 'ready' }>> {
  return new Promise((resolve, reject) => {
    const onMessage = (msg: FromInferenceWorker) => {
      worker.off('message', onMessage);
      worker.off('exit', onExit);
      if (msg.type === 'ready') resolve(msg);
      else reject(new Error(msg.type === 'error' ? `cannot start the embedding graph: ${msg.message}` : `unexpected ${msg.type} message at start-up`));
    };
    const onExit = (code: number) => reject(new Error(`inference worker exited during start-up (code ${code})`));
    worker.on('message', onMessage);
    worker.once('error', reject);
    worker.on('exit', onExit);
  });
}
