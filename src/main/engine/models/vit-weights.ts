// The vit entry's pretrained-weights adapter: ViT weights in timm, Hugging Face transformers or Google's
// original .npz layout → the entry's parameter names (timm's) and PyTorch shapes, then fitted to a model.
// The target names are read from the ViT's declaration (declareVit), not written here again.
import { fitWeights, resamplePositionEmbedding, type ConvertedWeights, type FitRules } from '../pretrained/match';
import { permute, reshape, WeightsFileError, type HostTensor, type TensorMap } from '../pretrained/tensor-file';
import type { WeightsAdapter } from './registry';
import { VIT_HEAD_SCOPE, vitParamNames } from './vit';

export type WeightsLayout = 'timm' | 'hf' | 'google';

/**
 * Converts ViT weights in any of the three common layouts to timm names and PyTorch shapes:
 * timm (`blocks.N.attn.qkv.weight`), Hugging Face transformers (`encoder.layer.N.attention.attention.query.weight`)
 * and Google's original .npz (`Transformer/encoderblock_N/MultiHeadDotProductAttention_1/query/kernel`).
 */
export function convertVitWeights(source: TensorMap): ConvertedWeights<WeightsLayout> {
  const names = [...source.keys()];
  if (names.some((n) => n.startsWith('Transformer/'))) return fromGoogle(source);
  if (names.some((n) => /(^|\.)encoder\.layer\.\d+\./.test(n))) return fromHuggingFace(source);
  const prefix = ['module.', 'model.', 'backbone.'].find((p) => names.every((n) => n.startsWith(p)));
  const tensors: TensorMap = new Map();
  for (const [name, t] of source) tensors.set(prefix ? name.slice(prefix.length) : name, t);
  const W = vitParamNames(1);
  const cls = W.clsToken.name;
  const qkv0 = W.blocks[0]!.qkv.weight.name;
  if (!tensors.has(cls) || !tensors.has(qkv0)) {
    throw new WeightsFileError(`these weights are not a ViT in timm, Hugging Face or Google layout (no ${cls} / ${qkv0})`);
  }
  return { tensors, layout: 'timm', ignored: [] };
}

function take(source: TensorMap, name: string, used: Set<string>): HostTensor {
  const t = source.get(name);
  if (!t) throw new WeightsFileError(`the weights have no tensor "${name}"`);
  used.add(name);
  return t;
}

function concatRows(parts: HostTensor[]): HostTensor {
  const rows = parts.reduce((a, p) => a + p.shape[0]!, 0);
  const data = new Float32Array(parts.reduce((a, p) => a + p.data.length, 0));
  let offset = 0;
  for (const p of parts) {
    data.set(p.data, offset);
    offset += p.data.length;
  }
  return { shape: [rows, ...parts[0]!.shape.slice(1)], data };
}

const transpose2d = (t: HostTensor) => permute(t, [1, 0]);

function blockCount(names: string[], pattern: RegExp): number {
  let n = 0;
  for (const name of names) {
    const m = pattern.exec(name);
    if (m) n = Math.max(n, Number(m[1]) + 1);
  }
  return n;
}

function fromGoogle(source: TensorMap): ConvertedWeights<WeightsLayout> {
  const used = new Set<string>();
  const get = (n: string) => take(source, n, used);
  const out: TensorMap = new Map();
  const W = vitParamNames(blockCount([...source.keys()], /^Transformer\/encoderblock_(\d+)\//));
  out.set(W.clsToken.name, get('cls'));
  out.set(W.patchEmbed.weight.name, permute(get('embedding/kernel'), [3, 2, 0, 1])); // HWIO -> OIHW
  out.set(W.patchEmbed.bias.name, get('embedding/bias'));
  out.set(W.posEmbed.name, get('Transformer/posembed_input/pos_embedding'));
  W.blocks.forEach((t, i) => {
    const b = `Transformer/encoderblock_${i}`;
    out.set(t.norm1.weight.name, get(`${b}/LayerNorm_0/scale`));
    out.set(t.norm1.bias.name, get(`${b}/LayerNorm_0/bias`));
    const attention = `${b}/MultiHeadDotProductAttention_1`;
    // q/k/v kernels are [D, heads, head_dim]: flatten to [D_in, D_out], transpose to PyTorch's [out, in].
    const qkv = ['query', 'key', 'value'].map((p) => {
      const k = get(`${attention}/${p}/kernel`);
      return transpose2d(reshape(k, [k.shape[0]!, k.data.length / k.shape[0]!]));
    });
    out.set(t.qkv.weight.name, concatRows(qkv));
    out.set(
      t.qkv.bias.name,
      concatRows(['query', 'key', 'value'].map((p) => { const bias = get(`${attention}/${p}/bias`); return reshape(bias, [bias.data.length]); })),
    );
    const outKernel = get(`${attention}/out/kernel`); // [heads, head_dim, D]
    const width = outKernel.shape[outKernel.shape.length - 1]!;
    out.set(t.proj.weight.name, transpose2d(reshape(outKernel, [outKernel.data.length / width, width])));
    out.set(t.proj.bias.name, get(`${attention}/out/bias`));
    out.set(t.norm2.weight.name, get(`${b}/LayerNorm_2/scale`));
    out.set(t.norm2.bias.name, get(`${b}/LayerNorm_2/bias`));
    out.set(t.fc1.weight.name, transpose2d(get(`${b}/MlpBlock_3/Dense_0/kernel`)));
    out.set(t.fc1.bias.name, get(`${b}/MlpBlock_3/Dense_0/bias`));
    out.set(t.fc2.weight.name, transpose2d(get(`${b}/MlpBlock_3/Dense_1/kernel`)));
    out.set(t.fc2.bias.name, get(`${b}/MlpBlock_3/Dense_1/bias`));
  });
  out.set(W.norm.weight.name, get('Transformer/encoder_norm/scale'));
  out.set(W.norm.bias.name, get('Transformer/encoder_norm/bias'));
  if (source.has('head/kernel')) {
    out.set(W.head.weight.name, transpose2d(get('head/kernel')));
    out.set(W.head.bias.name, get('head/bias'));
  }
  return { tensors: out, layout: 'google', ignored: [...source.keys()].filter((n) => !used.has(n)).sort() };
}

function fromHuggingFace(source: TensorMap): ConvertedWeights<WeightsLayout> {
  const prefix = [...source.keys()].some((n) => n.startsWith('vit.')) ? 'vit.' : '';
  const used = new Set<string>();
  const get = (n: string) => take(source, prefix + n, used);
  const out: TensorMap = new Map();
  const W = vitParamNames(blockCount([...source.keys()], /encoder\.layer\.(\d+)\./));
  out.set(W.clsToken.name, get('embeddings.cls_token'));
  out.set(W.posEmbed.name, get('embeddings.position_embeddings'));
  out.set(W.patchEmbed.weight.name, get('embeddings.patch_embeddings.projection.weight'));
  out.set(W.patchEmbed.bias.name, get('embeddings.patch_embeddings.projection.bias'));
  W.blocks.forEach((t, i) => {
    const l = `encoder.layer.${i}`;
    out.set(t.norm1.weight.name, get(`${l}.layernorm_before.weight`));
    out.set(t.norm1.bias.name, get(`${l}.layernorm_before.bias`));
    out.set(t.qkv.weight.name, concatRows(['query', 'key', 'value'].map((p) => get(`${l}.attention.attention.${p}.weight`))));
    out.set(t.qkv.bias.name, concatRows(['query', 'key', 'value'].map((p) => get(`${l}.attention.attention.${p}.bias`))));
    out.set(t.proj.weight.name, get(`${l}.attention.output.dense.weight`));
    out.set(t.proj.bias.name, get(`${l}.attention.output.dense.bias`));
    out.set(t.norm2.weight.name, get(`${l}.layernorm_after.weight`));
    out.set(t.norm2.bias.name, get(`${l}.layernorm_after.bias`));
    out.set(t.fc1.weight.name, get(`${l}.intermediate.dense.weight`));
    out.set(t.fc1.bias.name, get(`${l}.intermediate.dense.bias`));
    out.set(t.fc2.weight.name, get(`${l}.output.dense.weight`));
    out.set(t.fc2.bias.name, get(`${l}.output.dense.bias`));
  });
  out.set(W.norm.weight.name, get('layernorm.weight'));
  out.set(W.norm.bias.name, get('layernorm.bias'));
  if (source.has('classifier.weight')) {
    used.add('classifier.weight');
    used.add('classifier.bias');
    out.set(W.head.weight.name, source.get('classifier.weight')!);
    out.set(W.head.bias.name, source.get('classifier.bias')!);
  }
  return { tensors: out, layout: 'hf', ignored: [...source.keys()].filter((n) => !used.has(n)).sort() };
}

/** The ViT's fitting rules; `isNew` names the parameters a composed pre-filter adds (none for plain ViT). */
export function vitFitRules(isNew: (name: string) => boolean): FitRules {
  const posEmbed = vitParamNames(0).posEmbed.name;
  return {
    isHead: (name) => name.startsWith(`${VIT_HEAD_SCOPE}.`),
    isNew,
    // Position embeddings are resampled over the patch grid when the image size differs (timm's fine-tuning).
    resize: (name, t, shape) => (name === posEmbed && t.shape.length === 3 && t.shape[2] === shape[2] ? resamplePositionEmbedding(t, shape[1]!) : null),
  };
}

/** The adapter of a ViT, or of an architecture composed on one whose extra parameters satisfy `isNew`. */
export function vitWeightsAdapter(isNew: (name: string) => boolean = () => false): WeightsAdapter<WeightsLayout> {
  const rules = vitFitRules(isNew);
  return {
    convert: convertVitWeights,
    fit: (weights, params, options = {}) => fitWeights(weights, params, rules, options),
  };
}
