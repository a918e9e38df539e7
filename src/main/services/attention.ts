// Use case: the CBAM spatial attention of an MA-ViT model over a specimen's photo, for the specimen page
// (`attention.get`). The shell opens the model its own way (the app's classifier cache) and the map is
// computed over exactly what the model saw: the same pixel cache and preparation as training and evaluation.
import type { ParsedRequestOf, ResponseOf } from '../../shared/ipc';
import { UserError } from '../../shared/errors';
import { getSpecimen, modelMetadata, requireModel, type ModelRecord } from '../catalogue';
import { ImageDecodeError } from '../images/decode';
import { cacheDirForCatalogue, PreprocessCache, writeNormalizedChw } from '../images/preprocess';
import { IDENTITY } from '../images/dihedral';
import type { OnnxClassifier } from '../jobs/inference/classifier';
import type { ServiceContext } from './context';

export type AttentionParams = ParsedRequestOf<'attention.get'>;
export type AttentionMap = ResponseOf<'attention.get'>;

/**
 * The spatial gate the model applies, from its `spatial_attention` output σ(z) (engine/models/cbam.ts `gate`):
 * x·2σ(z) for the residual gate, x·σ(z) for the plain one. Rounded to 1e-5: fine enough for a ±0.5% gate, and
 * a 224 × 224 map stays about 0.4 MB of JSON (raw float64 digits would be twice that, for no visible gain).
 */
export function appliedGate(sigma: ArrayLike<number>, prefilter: 'cbam-residual' | 'cbam-plain'): number[] {
  const factor = prefilter === 'cbam-residual' ? 2 : 1;
  return Array.from(sigma, (v) => Math.round(v * factor * 1e5) / 1e5);
}

/** A model that can run one input and return its attention output (the inference classifier). */
export type AttentionRunner = Pick<OnnxClassifier, 'classes' | 'preprocessing' | 'run'>;

export async function attentionMap(
  ctx: ServiceContext & { openClassifier: (model: ModelRecord) => Promise<AttentionRunner> },
  params: AttentionParams,
): Promise<AttentionMap> {
  const model = requireModel(ctx.db, params.modelId);
  const metadata = modelMetadata(model);
  if (!metadata?.outputs.attention) throw new UserError('conflict', `model ${model.id} (${model.name}) has no CBAM attention: only MA-ViT models have it`);
  const prefilter = metadata.architecture.prefilter;
  if (prefilter === 'none') throw new UserError('conflict', `model ${model.id} (${model.name}) outputs an attention map but says it has no CBAM pre-filter`);
  const specimen = getSpecimen(ctx.db, params.specimenId);
  if (!specimen) throw new UserError('not-found', `no specimen with id ${params.specimenId}`);
  const classifier = await ctx.openClassifier(model);
  const spec = classifier.preprocessing;
  const size = spec.size;
  let pixels: Uint8Array;
  try {
    pixels = await new PreprocessCache(cacheDirForCatalogue(ctx.cataloguePath), spec).get(specimen.sha256, specimen.path);
  } catch (err) {
    // The photo is gone or no longer an image: the user's to fix. Anything else (a cache that cannot be
    // written, a bug) is not a missing photo and keeps its own kind.
    if (err instanceof ImageDecodeError) throw new UserError('invalid-input', `cannot read the photo of specimen ${specimen.id}: ${err.message}`);
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new UserError('not-found', `the photo of specimen ${specimen.id} is no longer at ${specimen.path}`);
    throw err;
  }
  const input = new Float32Array(3 * size * size);
  writeNormalizedChw(pixels, size, IDENTITY, spec, input, 0);
  const { probabilities, attention } = await classifier.run(input, 1);
  if (!attention) throw new UserError('conflict', `model ${model.id} returned no attention map`);
  let best = 0;
  for (let i = 1; i < probabilities.length; i++) if (probabilities[i]! > probabilities[best]!) best = i;
  // preprocessImage: the short side is resized to floor(size / cropFraction), then size × size is cut from the centre.
  const short = Math.min(specimen.width, specimen.height);
  const side = (size * short) / Math.floor(size / spec.cropFraction);
  const w = Math.max(1, specimen.width);
  const h = Math.max(1, specimen.height);
  return {
    modelId: model.id,
    size,
    prefilter,
    gate: appliedGate(attention, prefilter),
    channelGate: false,
    crop: { left: (w - side) / 2 / w, top: (h - side) / 2 / h, width: side / w, height: side / h },
    predictedClass: classifier.classes[best]!,
    confidence: probabilities[best]!,
  };
}
