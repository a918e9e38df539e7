// Vision Transformer (timm VisionTransformer layout and parameter names): patch embedding, class token,
// learned position embedding, pre-norm blocks with DropPath, final norm, linear head on the class token.
import type { Tensor } from '../graph/builder';
import * as op from '../ops/index';
import { requireParam, type ForwardContext, type ParamSpec } from './model';

export interface VitConfig {
  imageSize: number;
  patchSize: number;
  dim: number;
  depth: number;
  heads: number;
  mlpRatio: number;
  numClasses: number;
  /** Stochastic depth at the last block; block i uses rate·i/(depth−1), as timm does. */
  dropPathRate: number;
  /** LayerNorm epsilon (timm ViTs: 1e-6). */
  lnEps: number;
  /** How the patch embedding is emitted: a strided Conv, or patchify (Reshape/Transpose) + one GEMM.
   * Both compute the same function with the same [D, 3, p, p] weight. */
  patchEmbed: 'conv' | 'gemm';
}

export const VIT_PRESETS = {
  'vit-ti': { dim: 192, depth: 12, heads: 3 },
  'vit-s': { dim: 384, depth: 12, heads: 6 },
  'vit-b': { dim: 768, depth: 12, heads: 12 },
} as const;

export type VitPreset = keyof typeof VIT_PRESETS;

export function vitConfig(preset: VitPreset, numClasses: number, overrides: Partial<VitConfig> = {}): VitConfig {
  return {
    imageSize: 224,
    patchSize: 16,
    mlpRatio: 4,
    dropPathRate: 0.1,
    lnEps: 1e-6,
    patchEmbed: 'gemm',
    ...VIT_PRESETS[preset],
    numClasses,
    ...overrides,
  };
}

export function vitTokens(c: VitConfig): number {
  return (c.imageSize / c.patchSize) ** 2 + 1;
}

export function vitParams(c: VitConfig): ParamSpec[] {
  const d = c.dim;
  const hidden = d * c.mlpRatio;
  const lin = (name: string, out: number, inF: number): ParamSpec[] => [
    { name: `${name}.weight`, shape: [out, inF], init: { kind: 'truncNormal', std: 0.02 } },
    { name: `${name}.bias`, shape: [out], init: { kind: 'zeros' } },
  ];
  const norm = (name: string): ParamSpec[] => [
    { name: `${name}.weight`, shape: [d], init: { kind: 'ones' } },
    { name: `${name}.bias`, shape: [d], init: { kind: 'zeros' } },
  ];
  const fanIn = 3 * c.patchSize * c.patchSize;
  const specs: ParamSpec[] = [
    { name: 'cls_token', shape: [1, 1, d], init: { kind: 'normal', std: 1e-6 } },
    { name: 'pos_embed', shape: [1, vitTokens(c), d], init: { kind: 'truncNormal', std: 0.02 } },
    { name: 'patch_embed.proj.weight', shape: [d, 3, c.patchSize, c.patchSize], init: { kind: 'torchDefault', fanIn } },
    { name: 'patch_embed.proj.bias', shape: [d], init: { kind: 'torchDefault', fanIn } },
  ];
  for (let i = 0; i < c.depth; i++) {
    const b = `blocks.${i}`;
    specs.push(...norm(`${b}.norm1`), ...lin(`${b}.attn.qkv`, 3 * d, d), ...lin(`${b}.attn.proj`, d, d));
    specs.push(...norm(`${b}.norm2`), ...lin(`${b}.mlp.fc1`, hidden, d), ...lin(`${b}.mlp.fc2`, d, hidden));
  }
  specs.push(...norm('norm'), ...lin('head', c.numClasses, d));
  return specs;
}

/** DropPath rates per slot: two slots per block (attention branch, MLP branch), drawn independently. */
export function vitDropPathRates(c: VitConfig): number[] {
  const rates: number[] = [];
  for (let i = 0; i < c.depth; i++) {
    const r = c.depth > 1 ? (c.dropPathRate * i) / (c.depth - 1) : c.dropPathRate;
    rates.push(r, r);
  }
  return rates;
}

function patchEmbed(c: VitConfig, P: ReadonlyMap<string, Tensor>, x: Tensor): Tensor {
  const [b, ch, hgt, wid] = x.shape as [number, number, number, number];
  const p = c.patchSize;
  const gh = hgt / p;
  const gw = wid / p;
  const w = requireParam(P, 'patch_embed.proj.weight');
  const bias = requireParam(P, 'patch_embed.proj.bias');
  if (c.patchEmbed === 'conv') {
    const y = op.conv2d(x, w, bias, { stride: p });
    return op.reshape(op.transpose(op.reshape(y, [b, c.dim, gh * gw]), [0, 2, 1]), [b * gh * gw, c.dim]);
  }
  // Non-overlapping patches: the strided conv is exactly one GEMM over patch rows (c, ky, kx order).
  const patches = op.reshape(op.transpose(op.reshape(x, [b, ch, gh, p, gw, p]), [0, 2, 4, 1, 3, 5]), [b * gh * gw, ch * p * p]);
  return op.gemm(patches, op.reshape(w, [c.dim, ch * p * p]), bias, { transB: true });
}

/** ViT forward; tokens are kept 2-D [B·T, D] so every Linear is one GEMM. Forward-only graphs (no training)
 * take vitInferenceForward: the same function, arranged for inference. */
export function vitForward(c: VitConfig, P: ReadonlyMap<string, Tensor>, images: Tensor, ctx: ForwardContext): Tensor {
  if (!ctx.training) return vitInferenceForward(c, P, images);
  const b = images.shape[0]!;
  const d = c.dim;
  const t = vitTokens(c);
  const heads = c.heads;
  const hd = d / heads;
  const rates = vitDropPathRates(c);
  const pe = op.reshape(patchEmbed(c, P, images), [b, t - 1, d]);
  const cls = op.expand(requireParam(P, 'cls_token'), [b, 1, d]);
  let x = op.reshape(op.add(op.concat([cls, pe], 1), requireParam(P, 'pos_embed')), [b * t, d]);

  const residual = (x2: Tensor, branch: Tensor, slot: number): Tensor => {
    const rate = rates[slot]!;
    if (!ctx.training || rate === 0 || !ctx.dropMasks) return op.add(x2, branch);
    const mask = op.gather(ctx.dropMasks, x2.graph.constant('int64', [], [slot], 'slot'), 0);
    return op.add(x2, op.reshape(op.dropPath(op.reshape(branch, [b, t, d]), mask, 1 - rate), [b * t, d]));
  };
  const p = (name: string) => requireParam(P, name);

  for (let i = 0; i < c.depth; i++) {
    const pre = `blocks.${i}`;
    const h = op.layerNorm(x, p(`${pre}.norm1.weight`), p(`${pre}.norm1.bias`), c.lnEps);
    const qkv = op.linear(h, p(`${pre}.attn.qkv.weight`), p(`${pre}.attn.qkv.bias`));
    // qkv rows are [q; k; v], each split into heads: [B·T, 3D] → three [B·T, D] → [B, H, T, hd] (k as [B, H, hd, T]).
    const [q2, k2, v2] = op.split(qkv, 1, [d, d, d]) as [Tensor, Tensor, Tensor];
    const heads4 = (t2: Tensor, perm: number[]) => op.transpose(op.reshape(t2, [b, t, heads, hd]), perm);
    const q = op.scale(heads4(q2, [0, 2, 1, 3]), 1 / Math.sqrt(hd));
    const kT = heads4(k2, [0, 2, 3, 1]);
    const v = heads4(v2, [0, 2, 1, 3]);
    const attn = op.softmax(op.matmul(q, kT), -1);
    const o = op.reshape(op.transpose(op.matmul(attn, v), [0, 2, 1, 3]), [b * t, d]);
    x = residual(x, op.linear(o, p(`${pre}.attn.proj.weight`), p(`${pre}.attn.proj.bias`)), 2 * i);
    const h2 = op.layerNorm(x, p(`${pre}.norm2.weight`), p(`${pre}.norm2.bias`), c.lnEps);
    const mlp = op.linear(op.gelu(op.linear(h2, p(`${pre}.mlp.fc1.weight`), p(`${pre}.mlp.fc1.bias`))), p(`${pre}.mlp.fc2.weight`), p(`${pre}.mlp.fc2.bias`));
    x = residual(x, mlp, 2 * i + 1);
  }
  // Only the class token reaches the head, so the final norm runs on it alone (LayerNorm is per token).
  const clsTok = op.reshape(op.slice(op.reshape(x, [b, t, d]), { axes: [1], starts: [0], ends: [1] }), [b, d]);
  const normed = op.layerNorm(clsTok, p('norm.weight'), p('norm.bias'), c.lnEps);
  return op.linear(normed, p('head.weight'), p('head.bias'));
}

/**
 * The forward pass of forward-only graphs (evaluation, the exported model): the same function as the training
 * form, arranged for speed.
 * - Tokens are stored token-major, rows (t, b) of [T·B, D]: q, k and v of [T·B, D] are then [T, B, H, hd], and
 *   the Transposes to [B, H, T, hd] (perm [1, 2, 0, 3]; [1, 2, 3, 0] for kᵀ) are the "batch transposes"
 *   ORT's optimizer folds into its MatMul kernel (strided reads, no copy). Only the attention output is
 *   transposed back. The class token is rows 0..B.
 * - q, k and v come from three GEMMs over the row blocks of the qkv weight rather than one GEMM and a Split;
 *   the 1/√hd scale is folded into the q rows (weights are initializers in the exported model, so ORT folds
 *   the slicing and scaling into constants at load).
 * - The last block runs for the class token alone: its attention reads the keys and values of every token,
 *   but only token 0 reaches the head, so its query, projection and MLP are computed for B rows, not T·B.
 * - The patch embedding is always the GEMM form (`patchEmbed: 'conv'` computes the same function).
 */
export function vitInferenceForward(c: VitConfig, P: ReadonlyMap<string, Tensor>, images: Tensor): Tensor {
  const b = images.shape[0]!;
  const d = c.dim;
  const t = vitTokens(c);
  const heads = c.heads;
  const hd = d / heads;
  const p = (name: string) => requireParam(P, name);
  const [, ch, hgt, wid] = images.shape as [number, number, number, number];
  const ps = c.patchSize;
  const gh = hgt / ps;
  const gw = wid / ps;
  const w = p('patch_embed.proj.weight');
  // Patch rows in (gy, gx, b) order, each (c, ky, kx) as the conv weight's.
  const patches = op.reshape(op.transpose(op.reshape(images, [b, ch, gh, ps, gw, ps]), [2, 4, 0, 1, 3, 5]), [gh * gw * b, ch * ps * ps]);
  const pe = op.reshape(op.gemm(patches, op.reshape(w, [d, ch * ps * ps]), p('patch_embed.proj.bias'), { transB: true }), [t - 1, b, d]);
  const cls = op.expand(op.reshape(p('cls_token'), [1, 1, d]), [1, b, d]);
  let x = op.reshape(op.add(op.concat([cls, pe], 0), op.reshape(p('pos_embed'), [t, 1, d])), [t * b, d]);

  const rows = (t2: Tensor, from: number, to: number) => op.slice(t2, { axes: [0], starts: [from], ends: [to] });
  const scale = 1 / Math.sqrt(hd);
  /** [n·B, D] token-major → [B, H, n, hd] (a batch transpose, folded into the MatMul by ORT). */
  const toHeads = (t2: Tensor, n: number) => op.transpose(op.reshape(t2, [n, b, heads, hd]), [1, 2, 0, 3]);
  const block = (i: number, last: boolean) => {
    const pre = `blocks.${i}`;
    const h = op.layerNorm(x, p(`${pre}.norm1.weight`), p(`${pre}.norm1.bias`), c.lnEps);
    const wqkv = p(`${pre}.attn.qkv.weight`);
    const bqkv = p(`${pre}.attn.qkv.bias`);
    const n = last ? 1 : t;
    const hq = last ? rows(h, 0, b) : h;
    const q = toHeads(op.linear(hq, op.scale(rows(wqkv, 0, d), scale), op.scale(rows(bqkv, 0, d), scale)), n);
    const k = op.linear(h, rows(wqkv, d, 2 * d), rows(bqkv, d, 2 * d));
    const v = toHeads(op.linear(h, rows(wqkv, 2 * d, 3 * d), rows(bqkv, 2 * d, 3 * d)), t);
    const kT = op.transpose(op.reshape(k, [t, b, heads, hd]), [1, 2, 3, 0]);
    const attn = op.softmax(op.matmul(q, kT), -1);
    // [B, H, n, hd] → token-major [n·B, D].
    const o = op.reshape(op.transpose(op.matmul(attn, v), [2, 0, 1, 3]), [n * b, d]);
    const x0 = last ? rows(x, 0, b) : x;
    const x1 = op.add(x0, op.linear(o, p(`${pre}.attn.proj.weight`), p(`${pre}.attn.proj.bias`)));
    const h2 = op.layerNorm(x1, p(`${pre}.norm2.weight`), p(`${pre}.norm2.bias`), c.lnEps);
    x = op.add(x1, op.linear(op.gelu(op.linear(h2, p(`${pre}.mlp.fc1.weight`), p(`${pre}.mlp.fc1.bias`))), p(`${pre}.mlp.fc2.weight`), p(`${pre}.mlp.fc2.bias`)));
  };
  for (let i = 0; i < c.depth; i++) block(i, i === c.depth - 1);
  // x is now the class token's row per image, [B, D].
  const normed = op.layerNorm(x, p('norm.weight'), p('norm.bias'), c.lnEps);
  return op.linear(normed, p('head.weight'), p('head.bias'));
}
