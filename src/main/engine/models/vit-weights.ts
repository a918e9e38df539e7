import { permute, reshape, WeightsFileError, type HostTensor, type TensorMap } from './tensor-file';

export type WeightsLayout = 'timm' | 'hf' | 'google';

export interface ConvertedWeights {
  tensors: TensorMap;
  layout: WeightsLayout;
  /** Source tensors that have no place in a timm ViT (pre-logits, poolers), left out. */
  ignored: string[];
}

/**
 * Converts ViT weights in any of the three common layouts to timm names and PyTorch shapes:
 * timm (`blocks.N.attn.qkv.weight`), Hugging Face transformers (`encoder.layer.N.attention.attention.query.weight`)
 * and Google's original .npz (`Transformer/encoderblock_N/MultiHeadDotProductAttention_1/query/kernel`).
 */
export function toTimmVit(source: TensorMap): ConvertedWeights {
  const names = [...source.keys()];
  if (names.some((n) => n.startsWith('Transformer/'))) return fromGoogle(source);
  if (names.some((n) => /(^|\.)encoder\.layer\.\d+\./.test(n))) return fromHuggingFace(source);
  const prefix = ['module.', 'model.', 'backbone.'].find((p) => names.every((n) => n.startsWith(p)));
  const tensors: TensorMap = new Map();
  for (const [name, t] of source) tensors.set(prefix ? name.slice(prefix.length) : name, t);
  if (!tensors.has('cls_token') || !tensors.has('blocks.0.attn.qkv.weight')) {
    throw new WeightsFileError('these weights are not a ViT in timm, Hugging Face or Google layout (no cls_token / blocks.0.attn.qkv.weight)');
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

function fromGoogle(source: TensorMap): ConvertedWeights {
  const used = new Set<string>();
  const get = (n: string) => take(source, n, used);
  const out: TensorMap = new Map();
  out.set('cls_token', get('cls'));
  out.set('patch_embed.proj.weight', permute(get('embedding/kernel'), [3, 2, 0, 1])); // HWIO -> OIHW
  out.set('patch_embed.proj.bias', get('embedding/bias'));
  out.set('pos_embed', get('Transformer/posembed_input/pos_embedding'));
  const depth = blockCount([...source.keys()], /^Transformer\/encoderblock_(\d+)\//);
  for (let i = 0; i < depth; i++) {
    const b = `Transformer/encoderblock_${i}`;
    const t = `blocks.${i}`;
    out.set(`${t}.norm1.weight`, get(`${b}/LayerNorm_0/scale`));
    out.set(`${t}.norm1.bias`, get(`${b}/LayerNorm_0/bias`));
    const attention = `${b}/MultiHeadDotProductAttention_1`;
    // q/k/v kernels are [D, heads, head_dim]: flatten to [D_in, D_out], transpose to PyTorch's [out, in].
    const qkv = ['query', 'key', 'value'].map((p) => {
      const k = get(`${attention}/${p}/kernel`);
      return transpose2d(reshape(k, [k.shape[0]!, k.data.length / k.shape[0]!]));
    });
    out.set(`${t}.attn.qkv.weight`, concatRows(qkv));
    out.set(
      `${t}.attn.qkv.bias`,
      concatRows(['query', 'key', 'value'].map((p) => { const bias = get(`${attention}/${p}/bias`); return reshape(bias, [bias.data.length]); })),
    );
    const outKernel = get(`${attention}/out/kernel`); // [heads, head_dim, D]
    const width = outKernel.shape[outKernel.shape.length - 1]!;
    out.set(`${t}.attn.proj.weight`, transpose2d(reshape(outKernel, [outKernel.data.length / width, width])));
    out.set(`${t}.attn.proj.bias`, get(`${attention}/out/bias`));
    out.set(`${t}.norm2.weight`, get(`${b}/LayerNorm_2/scale`));
    out.set(`${t}.norm2.bias`, get(`${b}/LayerNorm_2/bias`));
    out.set(`${t}.mlp.fc1.weight`, transpose2d(get(`${b}/MlpBlock_3/Dense_0/kernel`)));
    out.set(`${t}.mlp.fc1.bias`, get(`${b}/MlpBlock_3/Dense_0/bias`));
    out.set(`${t}.mlp.fc2.weight`, transpose2d(get(`${b}/MlpBlock_3/Dense_1/kernel`)));
    out.set(`${t}.mlp.fc2.bias`, get(`${b}/MlpBlock_3/Dense_1/bias`));
  }
  out.set('norm.weight', get('Transformer/encoder_norm/scale'));
  out.set('norm.bias', get('Transformer/encoder_norm/bias'));
  if (source.has('head/kernel')) {
    out.set('head.weight', transpose2d(get('head/kernel')));
    out.set('head.bias', get('head/bias'));
  }
  return { tensors: out, layout: 'google', ignored: [...source.keys()].filter((n) => !used.has(n)).sort() };
}

function fromHuggingFace(source: TensorMap): ConvertedWeights {
  const prefix = [...source.keys()].some((n) => n.startsWith('vit.')) ? 'vit.' : '';
  const used = new Set<string>();
  const get = (n: string) => take(source, prefix + n, used);
  const out: TensorMap = new Map();
  out.set('cls_token', get('embeddings.cls_token'));
  out.set('pos_embed', get('embeddings.position_embeddings'));
  out.set('patch_embed.proj.weight', get('embeddings.patch_embeddings.projection.weight'));
  out.set('patch_embed.proj.bias', get('embeddings.patch_embeddings.projection.bias'));
  const depth = blockCount([...source.keys()], /encoder\.layer\.(\d+)\./);
  for (let i = 0; i < depth; i++) {
    const l = `encoder.layer.${i}`;
    const t = `blocks.${i}`;
    out.set(`${t}.norm1.weight`, get(`${l}.layernorm_before.weight`));
    out.set(`${t}.norm1.bias`, get(`${l}.layernorm_before.bias`));
    out.set(`${t}.attn.qkv.weight`, concatRows(['query', 'key', 'value'].map((p) => get(`${l}.attention.attention.${p}.weight`))));
    out.set(`${t}.attn.qkv.bias`, concatRows(['query', 'key', 'value'].map((p) => get(`${l}.attention.attention.${p}.bias`))));
    out.set(`${t}.attn.proj.weight`, get(`${l}.attention.output.dense.weight`));
    out.set(`${t}.attn.proj.bias`, get(`${l}.attention.output.dense.bias`));
    out.set(`${t}.norm2.weight`, get(`${l}.layernorm_after.weight`));
    out.set(`${t}.norm2.bias`, get(`${l}.layernorm_after.bias`));
    out.set(`${t}.mlp.fc1.weight`, get(`${l}.intermediate.dense.weight`));
    out.set(`${t}.mlp.fc1.bias`, get(`${l}.intermediate.dense.bias`));
    out.set(`${t}.mlp.fc2.weight`, get(`${l}.output.dense.weight`));
    out.set(`${t}.mlp.fc2.bias`, get(`${l}.output.dense.bias`));
  }
  out.set('norm.weight', get('layernorm.weight'));
  out.set('norm.bias', get('layernorm.bias'));
  if (source.has('classifier.weight')) {
    used.add('classifier.weight');
    used.add('classifier.bias');
    out.set('head.weight', source.get('classifier.weight')!);
    out.set('head.bias', source.get('classifier.bias')!);
  }
  return { tensors: out, layout: 'hf', ignored: [...source.keys()].filter((n) => !used.has(n)).sort() };
}
