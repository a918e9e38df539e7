import type { PreprocessCache, PreprocessSpec } from '../../images/preprocess';
import { loadBatch, type Batch, type DataItem } from '../cached-batches';
import { IDENTITY, mixSeed, mulberry32, randomDihedral } from './augment';

// Items, batches, warming the cache and prefetching are shared with evaluation (jobs/cached-batches.ts).
export { prefetched, warmCache, type Batch, type DataItem } from '../cached-batches';

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
    const batch = indices.map((i) => this.items[i]!);
    return loadBatch(this.cache, this.spec, batch, (item) => (augment ? randomDihedral(mulberry32(mixSeed(augment.seed, augment.epoch, item.specimenId))) : IDENTITY));
  }
}
