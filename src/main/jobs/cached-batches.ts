// Catalogued photos as model batches: warming the preprocessing cache (unreadable photos reported, left out),
// assembling normalised batches from cached pixels, and prefetching the next batch. Shared by training
// (jobs/train/data.ts adds shuffling and augmentation) and evaluation (jobs/evaluate.ts, catalogue order).
import type { InputError } from '../../shared/domain';
import { writeNormalizedChw, type PreprocessCache, type PreprocessSpec } from '../images/preprocess';
import { IDENTITY, type Dihedral } from '../images/dihedral';
import { ImageDecodeError } from '../images/decode';
import { describeFsError } from '../images/scan';
import { pipeline } from '../base/pipeline';

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

/** Assembles one batch of items from cached pixels, each under its transform (none by default). */
export async function loadBatch(
  cache: PreprocessCache,
  spec: PreprocessSpec,
  items: readonly DataItem[],
  transformOf: (item: DataItem) => Dihedral = () => IDENTITY,
): Promise<Batch> {
  const s = spec.size;
  const perImage = 3 * s * s;
  const images = new Float32Array(items.length * perImage);
  const labels = new Int32Array(items.length);
  const pixels = await Promise.all(items.map((item) => cache.get(item.sha256, item.path)));
  items.forEach((item, b) => {
    writeNormalizedChw(pixels[b]!, s, transformOf(item), spec, images, b * perImage);
    labels[b] = item.classIndex;
  });
  return { images, labels, specimenIds: items.map((item) => item.specimenId) };
}

/**
 * Runs `load` for step i+1 while the caller works on step i (the data pipeline runs on the main thread while
 * the engine computes in its worker): the shared ordered pipeline with one step ahead.
 */
export function prefetched<T, R>(plan: readonly T[], load: (step: T) => Promise<R>): AsyncGenerator<R> {
  return pipeline(plan, load, { concurrency: 2 });
}
