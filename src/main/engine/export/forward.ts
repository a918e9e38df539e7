// Forward-only graphs: an evaluation graph with the parameters as inputs (validation on the live training
// state, no export needed), and the standalone inference model with the parameters as initializers.
import { writeFileAtomicSync } from '../../base/atomic-write';
import { GraphBuilder, type Tensor } from '../graph/builder';
import { encodeModel } from '../graph/encode';
import * as op from '../ops/index';
import type { ModelDefinition, ParamValues } from '../models/model';

export const forwardNames = { images: 'images', logits: 'logits', probabilities: 'probabilities' };

export interface ForwardGraphOptions {
  batchSize: number;
  /** Parameter values to embed as initializers; without them parameters are graph inputs. */
  params?: ParamValues;
  /** metadata_props of the model (e.g. classes as JSON, preprocessing); the caller decides the keys. */
  metadata?: Readonly<Record<string, string>>;
}

/** Outputs: `logits` [B, C], `probabilities` [B, C], plus the model's extras (MA-ViT: `spatial_attention` [B, 1, H, W]). */
export function buildForwardGraph(model: ModelDefinition, options: ForwardGraphOptions): Uint8Array {
  const g = new GraphBuilder(options.params ? 'orelab_classifier' : 'eval');
  const params = new Map<string, Tensor>();
  for (const p of model.params) {
    if (options.params) {
      const data = options.params.get(p.name);
      if (!data) throw new Error(`no value for parameter "${p.name}"`);
      params.set(p.name, g.initializer(p.name, 'float32', p.shape, data));
    } else {
      params.set(p.name, g.input(p.name, 'float32', p.shape));
    }
  }
  const images = g.input(forwardNames.images, 'float32', [options.batchSize, ...model.inputShape]);
  const out = g.untaped(() => model.forward(params, images, { training: false }));
  g.output(out.logits, forwardNames.logits);
  g.output(g.untaped(() => op.softmax(out.logits, -1)), forwardNames.probabilities);
  for (const [name, t] of Object.entries(out.extras)) g.output(t, name);
  return encodeModel(g, { metadata: { 'orelab.model': JSON.stringify(model.config), ...options.metadata } });
}

/** Writes the standalone inference .onnx atomically and durably (src/main/base/atomic-write.ts). */
export function exportInferenceModel(path: string, model: ModelDefinition, params: ParamValues, options: { batchSize?: number; metadata?: Readonly<Record<string, string>> } = {}): void {
  const bytes = buildForwardGraph(model, { batchSize: options.batchSize ?? 1, params, ...(options.metadata ? { metadata: options.metadata } : {}) });
  writeFileAtomicSync(path, bytes);
}
