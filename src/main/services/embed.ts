// Use case: give every specimen a backbone embedding (the vector the classifier head reads), cached in the
// catalogue per model file hash. `orelab embed` comes here; so does any use case that compares photos
// (near-duplicate groups, label issues, outliers):
//
//   const r = await ensureEmbeddings(ctx, { model: null, device: 'auto' }, hooks);   // the shipped ViT-Ti
//   const vectors = getEmbeddings(ctx.db, r.model.sha256);                           // catalogue/embeddings.ts
//
//   params.model → resolveEmbeddingModel: null → the shipped pretrained ViT-Ti (resources/models), keyed by
//                  the sha256 of its weights file; an existing file → an Orelab model.onnx, keyed by its
//                  sha256; else a model id of the catalogue → its file
//                → embedMissing (jobs/embed): only the specimens without a vector for that hash; the model's
//                  embedding graph (engine/export/embedding.ts) is built only when some are missing
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { UserError } from '../../shared/errors';
import type { EmbedParams, EmbedProgress, EmbedResult, EmbeddingModel } from '../../shared/schemas/embed';
import { requireModel, setGroupEmbeddingModel, storedEmbeddingDim } from '../catalogue';
import {
  buildEmbeddingGraph,
  classifierEmbeddingSource,
  EmbeddingModelError,
  pretrainedEmbeddingSource,
  readSafetensors,
  type EmbeddingSource,
  type ExecutionProvider,
} from '../engine';
import { AUGREG_PREPROCESS, type PreprocessSpec } from '../images/preprocess';
import { embedMissing } from '../jobs/embed/embed';
import { OnnxEmbedder } from '../jobs/embed/embedder';
import { readModelFile } from '../jobs/inference/model-file';
import { defaultWeightsPath } from '../jobs/train/weights';
import type { RunHooks, ServiceContext } from './context';

/** Images per run of the embedding graph: the classifier's export batch (docs/ENGINE.md measured batch 8). */
const EMBED_BATCH = 8;

/** A model resolved for embedding: what the result reports, its input, and its weights (read on demand). */
export interface EmbeddingModelRef {
  info: Omit<EmbeddingModel, 'dim'>;
  preprocessing: PreprocessSpec;
  load(): EmbeddingSource;
}

const sha256Of = (bytes: Uint8Array) => crypto.createHash('sha256').update(bytes).digest('hex');

/**
 * What `params.model` names: null → the shipped ViT-Ti; a file → an Orelab classifier .onnx; else the id (or a
 * unique prefix) of a model in the catalogue. A missing backbone, file or model is the user's error.
 */
export function resolveEmbeddingModel(ctx: ServiceContext, model: string | null): EmbeddingModelRef {
  if (model === null) {
    const file = defaultWeightsPath();
    let bytes: Buffer;
    try {
      bytes = fs.readFileSync(file);
    } catch {
      throw new UserError('unavailable', `no model given, and the shipped ViT-Ti backbone is missing (${file}): give a model file or id`);
    }
    return {
      info: { sha256: sha256Of(bytes), kind: 'pretrained', path: file, name: 'ViT-Ti/16 pretrained (shipped)' },
      preprocessing: AUGREG_PREPROCESS,
      load: () => pretrainedEmbeddingSource(readSafetensors(file).tensors, 'vit-ti'),
    };
  }
  const file = fs.existsSync(model) ? model : requireModel(ctx.db, model).path;
  // Read once: the hash, the metadata and the weights all come from these bytes.
  const m = readModelFile(file);
  const p = m.metadata.preprocessing;
  return {
    info: { sha256: sha256Of(m.bytes), kind: 'classifier', path: path.resolve(file), name: `${m.metadata.architecture.backbone} ${m.metadata.architecture.prefilter} (${path.basename(file)})` },
    preprocessing: { ...AUGREG_PREPROCESS, size: p.size, cropFraction: p.crop_fraction, mean: p.mean, std: p.std },
    load: () => classifierEmbeddingSource(m.bytes, file),
  };
}

/**
 * Embeds every specimen that has no vector for the model file yet (labeled or not), and returns what is
 * stored: afterwards `getEmbeddings(db, result.model.sha256)` has a vector for every specimen but the ones in
 * `errors` (and the rest, when `cancelled`). A re-run, or one after a kill, embeds only what is missing.
 */
export async function ensureEmbeddings(ctx: ServiceContext, params: EmbedParams, hooks: RunHooks<EmbedProgress> = {}): Promise<EmbedResult> {
  const started = performance.now();
  const ref = resolveEmbeddingModel(ctx, params.model);
  let dim: number | null = null;
  const providers: ExecutionProvider[] = params.device === 'auto' ? ['cuda', 'cpu'] : [params.device];
  const run = await embedMissing(
    ctx.db,
    ctx.cataloguePath,
    {
      sha256: ref.info.sha256,
      preprocessing: ref.preprocessing,
      batchSize: EMBED_BATCH,
      open: async () => {
        let graph: { bytes: Uint8Array; dim: number };
        try {
          const source = ref.load();
          // A model's config and its declared preprocessing must agree on the input (a crafted file could differ).
          const size = source.model.inputShape[1];
          if (size !== ref.preprocessing.size) throw new EmbeddingModelError(`its network takes ${size}×${size} images, but its metadata prepares ${ref.preprocessing.size}×${ref.preprocessing.size}`);
          graph = buildEmbeddingGraph(source, { batchSize: EMBED_BATCH });
        } catch (err) {
          if (err instanceof EmbeddingModelError) throw new UserError('invalid-input', `${ref.info.path}: cannot embed with this model: ${err.message}`);
          throw err;
        }
        dim = graph.dim;
        return OnnxEmbedder.open(graph, EMBED_BATCH, ref.preprocessing, { providers });
      },
    },
    { ...(hooks.signal ? { signal: hooks.signal } : {}), ...(hooks.onProgress ? { onProgress: hooks.onProgress } : {}) },
  );
  // The shipped backbone's embeddings are the ones the grouping threshold was measured for: from now on they also
  // join near-duplicate photos (rescaled, mirrored, restamped copies the hashes miss) into one photo group.
  if (params.model === null && !run.cancelled) setGroupEmbeddingModel(ctx.db, ref.info.sha256);
  return {
    model: { ...ref.info, dim: dim ?? storedEmbeddingDim(ctx.db, ref.info.sha256) },
    specimens: run.specimens,
    cached: run.cached,
    embedded: run.embedded,
    errors: run.errors,
    cancelled: run.cancelled,
    seconds: (performance.now() - started) / 1000,
  };
}
