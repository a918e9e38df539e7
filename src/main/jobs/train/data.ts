import type { InputError } from '../../../shared/domain';
import type { PreprocessCache, PreprocessSpec } from '../../images/preprocess';
import { ImageDecodeError } from '../../images/decode';
import { describeFsError } from '../../images/scan';
import { IDENTITY, mixSeed, mulberry32, randomDihedral, writeNormalizedChw } from './augment';
import { pipeline } from '../../base/pipeline';

export interface DataItem {
  specimenId: number;
  sha256: string;
  path: string;
  /** Index into the run's class list. */
  classIndex: number;
}

export interface Batch {
  /** [B, 3, S, S] normalised pixels. */
  images: Float32Array;
  labels: Int32Array;
  specimenIds: number[];
}

/**
 * Decodes every item into the preprocessing cache once, a few at a time, and returns the items that are
 * usable; the others are reported by path, with the reason, and left out of training.
 */
export async function warmCache(
  cache: PreprocessCache,
  items: readonly DataItem[],
  options: { concurrency?: number; onProgress?: (done: number, total: number) => void; signal?: AbortSignal } = {},
): Promise<{ usable: DataItem[]; errors: InputError[] }> {
  const usable: DataItem[] = [];
  const errors: InputError[] = [];
  let done = 0;
  // In the items' order whatever order the decodes finish in, a few at a time.
  const decoded = pipeline(
    items,
    async (item): Promise<InputError | null> => {
      try {
        await cache.get(item.sha256, item.path);
        return null;
      } catch (err) {
        return { path: item.path, reason: err instanceof ImageDecodeError ? err.message : describeMissing(err) ?? describeFsError(err, 'cannot read') };
      }
    },
    { concurrency: options.concurrency ?? 4, ...(options.signal ? { signal: options.signal } : {}) },
  );
  for await (const error of decoded) {
    const item = items[done++]!;
    if (error) errors.push(error);
    else usable.push(item);
    options.onProgress?.(done, items.length);
  }
  return { usable, errors };
}

/** A catalogued photo no longer at its path: not "vanished during the scan", as an import would say. */
function describeMissing(err: unknown): string | null {
  return (err as NodeJS.ErrnoException | undefined)?.code === 'ENOENT' ? 'the file is no longer there (moved or deleted since it was catalogued)' : null;
}

/** A seeded permutation of 0..n-1 (Fisher–Yates). */
export function permutation(n: number, seed: number): number[] {
  const random = mulberry32(seed);
  const order = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  return order;
}

/**
 * Batches for training and evaluation from cached pixels. Training batches are a fresh seeded shuffle each
 * epoch with random flips and quarter turns; the last partial batch is dropped so every step has the same
 * shape. Evaluation batches keep catalogue order, no augmentation, and a short last batch.
 */
export class BatchSource {
  constructor(
    private readonly cache: PreprocessCache,
    private readonly items: readonly DataItem[],
    private readonly spec: PreprocessSpec,
  ) {}

  get size(): number {
    return this.items.length;
  }

  trainBatchCount(batchSize: number): number {
    return Math.floor(this.items.length / batchSize);
  }

  /** The item indices of each training batch of an epoch. */
  trainPlan(epoch: number, batchSize: number, seed: number): number[][] {
    const order = permutation(this.items.length, mixSeed(seed, epoch, 0x5eed));
    return Array.from({ length: this.trainBatchCount(batchSize) }, (_, b) => order.slice(b * batchSize, (b + 1) * batchSize));
  }

  evalPlan(batchSize: number): number[][] {
    const plan: number[][] = [];
    for (let i = 0; i < this.items.length; i += batchSize) plan.push(Array.from({ length: Math.min(batchSize, this.items.length - i) }, (_, k) => i + k));
    return plan;
  }

  /** Assembles one batch; with `augment`, sample i of epoch e always gets the same transform for a seed. */
  async load(indices: readonly number[], augment: { epoch: number; seed: number } | null): Promise<Batch> {
    const s = this.spec.size;
    const perImage = 3 * s * s;
    const images = new Float32Array(indices.length * perImage);
    const labels = new Int32Array(indices.length);
    const pixels = await Promise.all(indices.map((i) => this.cache.get(this.items[i]!.sha256, this.items[i]!.path)));
    indices.forEach((itemIndex, b) => {
      const item = this.items[itemIndex]!;
      const transform = augment ? randomDihedral(mulberry32(mixSeed(augment.seed, augment.epoch, item.specimenId))) : IDENTITY;
      writeNormalizedChw(pixels[b]!, s, transform, this.spec, images, b * perImage);
      labels[b] = item.classIndex;
    });
    return { images, labels, specimenIds: indices.map((i) => this.items[i]!.specimenId) };
  }
}

/**
 * Runs `load` for step i+1 while the caller works on step i (the data pipeline runs on the main thread while
 * the engine computes in its worker): the shared ordered pipeline with one step ahead.
 */
export function prefetched<T, R>(plan: readonly T[], load: (step: T) => Promise<R>): AsyncGenerator<R> {
  return pipeline(plan, load, { concurrency: 2 });
}
