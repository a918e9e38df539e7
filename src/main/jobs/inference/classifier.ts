import path from 'node:path';
import type { Worker } from 'node:worker_threads';
import type { ModelRecord } from '../../catalogue';
import { encodeModelMetadata } from '../../../shared/model-metadata';
import { AUGREG_PREPROCESS, type PreprocessSpec } from '../../images/preprocess';
import type { ExecutionProvider } from '../../engine/runtime/session';
import { startWorker } from '../../worker-entry';
import type { BatchClassifier } from '../classify/classify';
import { readModelFile, type ModelFile } from './model-file';
import type { FromInferenceWorker, ToInferenceWorker } from './protocol';

export interface ClassifierOptions {
  providers?: ExecutionProvider[];
  intraOpThreads?: number;
  /** Largest batch to run at once when the model accepts any batch size. */
  maxBatch?: number;
}

/**
 * An exported Orelab model.onnx, run in a worker thread. A model with a fixed batch dimension gets its
 * last, partial batch padded with zeros (and the padding's outputs dropped).
 */
export class OnnxClassifier implements BatchClassifier {
  readonly modelId: string;
  readonly classes: readonly string[];
  readonly preprocessing: PreprocessSpec;
  readonly maxBatch: number;
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (r: { probabilities: Float32Array; attention: Float32Array | null }) => void; reject: (e: Error) => void }>();
  private failure: Error | null = null;

  private constructor(
    readonly model: ModelFile,
    private readonly worker: Worker,
    readonly provider: ExecutionProvider,
    readonly skippedProviders: { provider: ExecutionProvider; reason: string }[],
    maxBatch: number,
  ) {
    this.modelId = model.id;
    this.classes = model.metadata.classes;
    const p = model.metadata.preprocessing;
    this.preprocessing = { ...AUGREG_PREPROCESS, size: p.size, cropFraction: p.crop_fraction, mean: p.mean, std: p.std };
    this.maxBatch = model.batchSize ?? maxBatch;
    worker.on('message', (msg: FromInferenceWorker) => {
      if (msg.type === 'result') {
        this.pending.get(msg.id)?.resolve(msg);
        this.pending.delete(msg.id);
      } else if (msg.type === 'error' && msg.id !== null) {
        this.pending.get(msg.id)?.reject(new Error(msg.message));
        this.pending.delete(msg.id);
      }
    });
    const fail = (err: Error) => {
      this.failure ??= err;
      for (const p of this.pending.values()) p.reject(err);
      this.pending.clear();
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`inference worker exited (code ${code})`)));
  }

  static async open(modelPath: string, options: ClassifierOptions = {}): Promise<OnnxClassifier> {
    const model = readModelFile(modelPath);
    const worker = startWorker(import.meta.url, './worker.ts', 'inference-worker.js');
    const init: ToInferenceWorker = {
      type: 'init',
      modelPath: model.path,
      ...(options.providers ? { providers: options.providers } : {}),
      ...(options.intraOpThreads ? { intraOpThreads: options.intraOpThreads } : {}),
    };
    worker.postMessage(init);
    try {
      const ready = await new Promise<Extract<FromInferenceWorker, { type: 'ready' }>>((resolve, reject) => {
        const onMessage = (msg: FromInferenceWorker) => {
          if (msg.type === 'ready') resolve(msg);
          else if (msg.type === 'error') reject(new Error(`${modelPath}: ${msg.message}`));
        };
        worker.on('message', onMessage);
        worker.once('error', reject);
        worker.once('exit', (code) => reject(new Error(`inference worker exited during start-up (code ${code})`)));
      });
      return new OnnxClassifier(model, worker, ready.provider, ready.skipped, options.maxBatch ?? 16);
    } catch (err) {
      await worker.terminate();
      throw err;
    }
  }

  catalogueRecord(): Omit<ModelRecord, 'createdAt'> {
    const m = this.model.metadata;
    return {
      id: this.modelId,
      path: path.resolve(this.model.path),
      runId: m.training_run?.run_id ?? null,
      name: `${m.architecture.variant} ${m.architecture.backbone} (${path.basename(this.model.path)})`,
      classes: [...m.classes],
      metadata: encodeModelMetadata(m),
    };
  }

  async classify(images: Float32Array, count: number): Promise<Float32Array> {
    return (await this.run(images, count)).probabilities;
  }

  /** Probabilities [count, C] and, for MA-ViT, the CBAM spatial attention [count, 1, S, S]. */
  async run(images: Float32Array, count: number): Promise<{ probabilities: Float32Array; attention: Float32Array | null }> {
    if (this.failure) throw this.failure;
    const s = this.preprocessing.size;
    const perImage = 3 * s * s;
    const c = this.classes.length;
    const probabilities = new Float32Array(count * c);
    const attention = this.model.metadata.outputs.attention ? new Float32Array(count * s * s) : null;
    for (let start = 0; start < count; start += this.maxBatch) {
      const n = Math.min(this.maxBatch, count - start);
      const batch = this.model.batchSize ?? n;
      const input = new Float32Array(batch * perImage);
      input.set(images.subarray(start * perImage, (start + n) * perImage));
      const id = this.nextId++;
      const result = await new Promise<{ probabilities: Float32Array; attention: Float32Array | null }>((resolve, reject) => {
        this.pending.set(id, { resolve, reject });
        const msg: ToInferenceWorker = { type: 'run', id, images: input, dims: [batch, 3, s, s] };
        this.worker.postMessage(msg, [input.buffer]);
      });
      probabilities.set(result.probabilities.subarray(0, n * c), start * c);
      if (attention && result.attention) attention.set(result.attention.subarray(0, n * s * s), start * s * s);
    }
    return { probabilities, attention };
  }

  async close(): Promise<void> {
    await this.worker.terminate();
  }
}
