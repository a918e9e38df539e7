// The embed job: every specimen of the catalogue (labeled or not) that has no vector for a model file gets
// one, through the preprocessing cache and batches the classifier uses (jobs/cached-batches.ts). Each batch's
// vectors are stored in one transaction as soon as it is done, so a kill or a cancel leaves whole rows and a
// re-run embeds only the rest; a photo that cannot be read is reported by path and skipped (a re-run tries it
// again). With nothing missing, no model is opened: the warm path is one query.
import type { InputError } from '../../../shared/domain';
import type { EmbedProgress } from '../../../shared/schemas/embed';
import { countSpecimens, putEmbeddings, specimensWithoutEmbedding, type Db } from '../../catalogue';
import { cacheDirForCatalogue, PreprocessCache, type PreprocessSpec } from '../../images/preprocess';
import { loadBatch, prefetched, warmCache, type Batch, type DataItem } from '../cached-batches';
import type { BatchEmbedder } from './embedder';

/** The model to embed with: its file hash (the cache key), its preprocessing, and how to start it (only when
 * something is missing; the job closes it). */
export interface EmbedTarget {
  sha256: string;
  preprocessing: PreprocessSpec;
  /** Images per call of the embedder. */
  batchSize: number;
  open(): Promise<BatchEmbedder & { close(): Promise<void> }>;
}

export interface EmbedRun {
  /** Specimens in the catalogue. */
  specimens: number;
  /** Specimens that already had a vector for this model file. */
  cached: number;
  embedded: number;
  errors: InputError[];
  /** Stopped by the signal before every missing specimen was tried. */
  cancelled: boolean;
}

export async function embedMissing(
  db: Db,
  cataloguePath: string,
  target: EmbedTarget,
  options: { signal?: AbortSignal; onProgress?: (p: EmbedProgress) => void } = {},
): Promise<EmbedRun> {
  const specimens = countSpecimens(db);
  const todo = specimensWithoutEmbedding(db, target.sha256);
  const run: EmbedRun = { specimens, cached: specimens - todo.length, embedded: 0, errors: [], cancelled: false };
  if (todo.length === 0 || options.signal?.aborted) return { ...run, cancelled: todo.length > 0 };

  // The workers start (≈ 0.5 s) while the first photos decode.
  const opening = target.open();
  opening.catch(() => undefined);
  let embedder: (BatchEmbedder & { close(): Promise<void> }) | null = null;
  try {
    const spec = target.preprocessing;
    const cache = new PreprocessCache(cacheDirForCatalogue(cataloguePath), spec);
    const items: DataItem[] = todo.map((s) => ({ specimenId: s.id, sha256: s.sha256, path: s.path, classIndex: 0 }));
    const plan: DataItem[][] = [];
    for (let i = 0; i < items.length; i += target.batchSize) plan.push(items.slice(i, i + target.batchSize));
    const progress = () => options.onProgress?.({ done: run.embedded + run.errors.length, total: todo.length, errors: run.errors.length });
    // Each step decodes its photos into the cache (unreadable ones reported, left out) and assembles the rest, a
    // step ahead of inference, rather than decoding everything first: on minerals7 under load the decode phase
    // alone took 9 of 54 s.
    const load = async (step: DataItem[]) => {
      const { usable, errors } = await warmCache(cache, step);
      return { errors, batch: usable.length > 0 ? await loadBatch(cache, spec, usable) : null };
    };
    const record = (batch: Batch, vectors: Float32Array, dim: number) => {
      putEmbeddings(
        db,
        target.sha256,
        batch.specimenIds.map((specimenId, i) => ({ specimenId, vector: vectors.slice(i * dim, (i + 1) * dim) })),
      );
      run.embedded += batch.specimenIds.length;
      progress();
    };
    // One batch per worker in flight; stored in order.
    const inflight: { batch: Batch; vectors: Promise<Float32Array> }[] = [];
    for await (const step of prefetched(plan, load)) {
      if (options.signal?.aborted) break;
      if (step.errors.length > 0) {
        run.errors.push(...step.errors);
        progress();
      }
      if (!step.batch) continue;
      const e = (embedder ??= await opening);
      const vectors = e.embed(step.batch.images, step.batch.specimenIds.length);
      // Awaited in order below; this only keeps a failure behind the awaited batch from counting as unhandled.
      vectors.catch(() => undefined);
      inflight.push({ batch: step.batch, vectors });
      if (inflight.length >= e.concurrency) {
        const oldest = inflight.shift()!;
        record(oldest.batch, await oldest.vectors, e.dim);
      }
    }
    // Batches already computed are kept, even after a cancel: they are whole.
    for (const pending of inflight) record(pending.batch, await pending.vectors, embedder!.dim);
    run.cancelled = run.embedded + run.errors.length < todo.length;
    return run;
  } finally {
    await (embedder ?? (await opening.catch(() => null)))?.close();
  }
}
