// Embedding graphs: the backbone's representation of an image, the tensor the classifier head reads (ViT: the
// class token after the final LayerNorm; MA-ViT: the same behind the CBAM pre-filter), for grouping photos and
// finding label issues. Built from the registry's entry with the weights of a trained model.onnx (its
// initializers and its `orelab.model` config) or of a pretrained backbone file, so every model file, old or
// new, gets one without re-exporting it.
import onnxProto from 'onnx-proto';
import { GraphBuilder, type Tensor } from '../graph/builder';
import { encodeModel } from '../graph/encode';
import { defineModel, type ModelConfig } from '../models/mavit';
import { vitArchitecture } from '../models/architectures';
import type { ModelDefinition, ParamSpec, ParamValues } from '../models/model';
import { fitPretrained } from '../pretrained/fit';
import { toTimmVit } from '../pretrained/vit-names';
import type { TensorMap } from '../pretrained/tensor-file';

export const embeddingNames = { images: 'images', embedding: 'embedding' };

/** A model whose embedding can be computed: its definition and the values of (at least) the parameters its
 * embedding reads. */
export interface EmbeddingSource {
  model: ModelDefinition;
  params: ParamValues;
}

export class EmbeddingModelError extends Error {}

/**
 * A parameter map that makes each parameter an initializer when the graph first reads it: the embedding graph
 * then holds only what the embedding uses (not the head: a 1000-class head is 0.77 MB of the shipped ViT-Ti).
 */
class InitializersOnRead extends Map<string, Tensor> {
  constructor(
    private readonly g: GraphBuilder,
    private readonly specs: ReadonlyMap<string, ParamSpec>,
    private readonly paramValues: ParamValues,
  ) {
    super();
  }

  override get(name: string): Tensor | undefined {
    const known = super.get(name);
    if (known) return known;
    const spec = this.specs.get(name);
    if (!spec) return undefined;
    const data = this.paramValues.get(name);
    if (!data) throw new EmbeddingModelError(`no value for parameter "${name}"`);
    const t = this.g.initializer(name, 'float32', spec.shape, data);
    this.set(name, t);
    return t;
  }
}

/**
 * The embedding graph of a model: input `images` [B, 3, H, W] (the model's own preprocessing), output
 * `embedding` [B, D], the weights as initializers. Returns the ONNX bytes and D.
 */
export function buildEmbeddingGraph(source: EmbeddingSource, options: { batchSize: number; metadata?: Readonly<Record<string, string>> }): { bytes: Uint8Array; dim: number } {
  const { model, params } = source;
  if (!model.embed) throw new EmbeddingModelError(`architecture "${model.kind}" defines no embedding`);
  const embed = model.embed;
  const g = new GraphBuilder('orelab_embedding');
  const P = new InitializersOnRead(g, new Map(model.params.map((p) => [p.name, p])), params);
  const images = g.input(embeddingNames.images, 'float32', [options.batchSize, ...model.inputShape]);
  const embedding = g.untaped(() => embed(P, images));
  g.output(embedding, embeddingNames.embedding);
  const dim = embedding.shape[1]!;
  return { bytes: encodeModel(g, { metadata: { 'orelab.model': JSON.stringify(model.config), ...options.metadata } }), dim };
}

const ONNX_FLOAT = 1;

/**
 * The model and weights of an Orelab classifier .onnx: the config its exporter stored (`orelab.model`), the
 * parameters from its initializers (the exporter writes each parameter under its own name, float32 raw data).
 * A file without them was not exported by Orelab's engine and is refused, naming what is missing.
 */
export function classifierEmbeddingSource(bytes: Uint8Array, file: string): EmbeddingSource {
  let proto: onnxProto.onnx.ModelProto;
  try {
    proto = onnxProto.onnx.ModelProto.decode(bytes);
  } catch {
    throw new EmbeddingModelError(`${file}: not an ONNX model`);
  }
  const configText = proto.metadataProps.find((p) => p.key === 'orelab.model')?.value;
  if (!configText) throw new EmbeddingModelError(`${file}: no "orelab.model" metadata (the engine's model config), so its backbone cannot be rebuilt`);
  let model: ModelDefinition;
  try {
    model = defineModel(JSON.parse(configText) as ModelConfig);
  } catch (err) {
    throw new EmbeddingModelError(`${file}: its "orelab.model" config cannot be built: ${(err as Error).message}`);
  }
  const byName = new Map((proto.graph?.initializer ?? []).map((t) => [t.name ?? '', t]));
  const params: ParamValues = new Map();
  for (const spec of model.params) {
    const t = byName.get(spec.name);
    if (!t) continue; // only a parameter the embedding reads must be there (checked when the graph reads it)
    const count = spec.shape.reduce((a, b) => a * b, 1);
    const dims = (t.dims ?? []).map(Number);
    if (t.dataType !== ONNX_FLOAT || dims.join(',') !== spec.shape.join(',')) {
      throw new EmbeddingModelError(`${file}: initializer "${spec.name}" is ${dims.join('×')} (ONNX type ${t.dataType}), expected float32 ${spec.shape.join('×')}`);
    }
    const raw = t.rawData && t.rawData.length > 0 ? t.rawData : null;
    if (raw && raw.length === 4 * count) {
      // Copied: the raw bytes may sit at an offset that is not a multiple of 4 in the decoded buffer.
      params.set(spec.name, new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.length)));
    } else if (t.floatData && t.floatData.length === count) {
      params.set(spec.name, Float32Array.from(t.floatData));
    } else {
      throw new EmbeddingModelError(`${file}: initializer "${spec.name}" holds the wrong number of values for ${spec.shape.join('×')}`);
    }
  }
  return { model, params };
}

/**
 * A pretrained backbone (timm, Hugging Face or Google layout, as training reads them) as a plain ViT of
 * `preset`, at the preset's image size. The head is left to its init: the embedding does not read it.
 */
export function pretrainedEmbeddingSource(tensors: TensorMap, preset: string): EmbeddingSource {
  const model = vitArchitecture.create(preset, 1, { vit: { dropPathRate: 0 } });
  const fit = fitPretrained(toTimmVit(tensors).tensors, model.params);
  const missing = fit.initialised.filter((name) => !name.startsWith('head.'));
  if (missing.length > 0) throw new EmbeddingModelError(`the weights lack ${missing.join(', ')}`);
  return { model, params: new Map([...fit.values].map(([name, t]) => [name, t.data])) };
}
