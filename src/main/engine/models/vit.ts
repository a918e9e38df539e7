// Vision Transformer (timm VisionTransformer layout and parameter names): patch embedding, class token,
// learned position embedding, pre-norm blocks with DropPath, final norm, linear head on the class token.
import type { Tensor } from '../graph/builder';
import * as op from '../ops/index';
import { paramTensor, ParamTable, type ForwardContext, type ParamSpec } from './model';
import { lookupPreset } from './registry';

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

/** A ViT preset: widths and depth, patch size and the default image size (timm's vit_*_patch16_224). */
export interface VitPresetSpec {
  readonly dim: number;
  readonly depth: number;
  readonly heads: number;
  readonly patchSize: number;
  readonly imageSize: number;
}

/** The presets of the registry's `vit` entry (and of `mavit`, which composes on it). */
export const VIT_PRESETS = {
  'vit-ti': { dim: 192, depth: 12, heads: 3, patchSize: 16, imageSize: 224 },
  'vit-s': { dim: 384, depth: 12, heads: 6, patchSize: 16, imageSize: 224 },
  'vit-b': { dim: 768, depth: 12, heads: 12, patchSize: 16, imageSize: 224 },
} as const satisfies Readonly<Record<string, VitPresetSpec>>;

export type VitPreset = keyof typeof VIT_PRESETS;

/** The config of a preset (what the registry's vit entry makes). Key order is the one stored in checkpoints
 * and model metadata since the first release, so the JSON stays byte-identical. */
export function vitConfigFromPreset(preset: VitPresetSpec, numClasses: number, overrides: Partial<VitConfig> = {}): VitConfig {
  const base: VitConfig = {
    imageSize: preset.imageSize,
    patchSize: preset.patchSize,
    mlpRatio: 4,
    dropPathRate: 0.1,
    lnEps: 1e-6,
    patchEmbed: 'gemm',
    dim: preset.dim,
    depth: preset.depth,
    heads: preset.heads,
    numClasses,
  };
  return { ...base, ...overrides };
}

/** A preset's config by name; an unknown name is an error listing the presets. */
export function vitConfig(preset: VitPreset, numClasses: number, overrides: Partial<VitConfig> = {}): VitConfig {
  return vitConfigFromPreset(lookupPreset('vit', VIT_PRESETS, preset), numClasses, overrides);
}

export function vitTokens(c: VitConfig): number {
  return (c.imageSize / c.patchSize) ** 2 + 1;
}

/** A Linear (PyTorch layout: weight [out, in]) or LayerNorm's two parameters. */
export interface WeightAndBias {
  readonly weight: ParamSpec;
  readonly bias: ParamSpec;
}

export interface VitBlockParams {
  readonly norm1: WeightAndBias;
  readonly qkv: WeightAndBias;
  readonly proj: WeightAndBias;
  readonly norm2: WeightAndBias;
  readonly fc1: WeightAndBias;
  readonly fc2: WeightAndBias;
}

/** Every ViT parameter, as declared: the forward passes and the weights adapter read the names from here. */
export interface VitParams {
  readonly clsToken: ParamSpec;
  readonly posEmbed: ParamSpec;
  /** The patch embedding's conv weight [D, 3, p, p] and bias (also used as one GEMM over patch rows). */
  readonly patchEmbed: WeightAndBias;
  readonly blocks: readonly VitBlockParams[];
  readonly norm: WeightAndBias;
  readonly head: WeightAndBias;
}

/** The scope of the classifier head: pretrained weights leave it to the model's own init (new classes). */
export const VIT_HEAD_SCOPE = 'head';

/**
 * Declares a ViT's parameters with timm's names, shapes, inits and order: cls_token, pos_embed,
 * patch_embed.proj.*, blocks.N.{norm1, attn.qkv, attn.proj, norm2, mlp.fc1, mlp.fc2}.*, norm.*, head.*.
 * pos_embed and cls_token get no weight decay (timm's no_weight_decay()); rank ≤ 1 parameters neither.
 */
export function declareVit(c: VitConfig, t: ParamTable): VitParams {
  const d = c.dim;
  const hidden = d * c.mlpRatio;
  const linear = (s: ParamTable, out: number, inF: number): WeightAndBias => ({
    weight: s.declare('weight', [out, inF], { kind: 'truncNormal', std: 0.02 }),
    bias: s.declare('bias', [out], { kind: 'zeros' }),
  });
  const norm = (s: ParamTable): WeightAndBias => ({ weight: s.declare('weight', [d], { kind: 'ones' }), bias: s.declare('bias', [d], { kind: 'zeros' }) });
  const fanIn = 3 * c.patchSize * c.patchSize;
  const clsToken = t.declare('cls_token', [1, 1, d], { kind: 'normal', std: 1e-6 }, { decay: false });
  const posEmbed = t.declare('pos_embed', [1, vitTokens(c), d], { kind: 'truncNormal', std: 0.02 }, { decay: false });
  const pe = t.scope('patch_embed').scope('proj');
  const patchEmbed = {
    weight: pe.declare('weight', [d, 3, c.patchSize, c.patchSize], { kind: 'torchDefault', fanIn }),
    bias: pe.declare('bias', [d], { kind: 'torchDefault', fanIn }),
  };
  const blocks: VitBlockParams[] = [];
  for (let i = 0; i < c.depth; i++) {
    const b = t.scope(`blocks.${i}`);
    const attn = b.scope('attn');
    const mlp = b.scope('mlp');
    const norm1 = norm(b.scope('norm1'));
    const qkv = linear(attn.scope('qkv'), 3 * d, d);
    const proj = linear(attn.scope('proj'), d, d);
    const norm2 = norm(b.scope('norm2'));
    const fc1 = linear(mlp.scope('fc1'), hidden, d);
    const fc2 = linear(mlp.scope('fc2'), d, hidden);
    blocks.push({ norm1, qkv, proj, norm2, fc1, fc2 });
  }
  const finalNorm = norm(t.scope('norm'));
  const head = linear(t.scope(VIT_HEAD_SCOPE), c.numClasses, d);
  return { clsToken, posEmbed, patchEmbed, blocks, norm: finalNorm, head };
}

/** The declared parameters of a ViT with `depth` blocks, for code that needs their names only (the weights
 * adapter, which learns the depth from the file): names do not depend on the widths. */
export function vitParamNames(depth: number): VitParams {
  return declareVit(vitConfigFromPreset(VIT_PRESETS['vit-ti'], 1, { depth }), ParamTable.create());
}

export function vitParams(c: VitConfig): ParamSpec[] {
  const t = ParamTable.create();
  declareVit(c, t);
  return [...t.specs];
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

/** Analytic forward FLOPs per image (2 per multiply-add; GEMMs and attention products only). */
export function vitForwardFlops(v: VitConfig): number {
  const tokens = (v.imageSize / v.patchSize) ** 2;
  const t = tokens + 1;
  const d = v.dim;
  const hidden = d * v.mlpRatio;
  const patch = 2 * tokens * (3 * v.patchSize * v.patchSize) * d;
  const block = 2 * t * d * 3 * d + 2 * 2 * t * t * d + 2 * t * d * d + 2 * 2 * t * d * hidden;
  const head = 2 * d * v.numClasses;
  return patch + v.depth * block + head;
}

function patchEmbed(c: VitConfig, W: VitParams, P: ReadonlyMap<string, Tensor>, x: Tensor): Tensor {
  const [b, ch, hgt, wid] = x.shape as [number, number, number, number];
  const p = c.patchSize;
  const gh = hgt / p;
  const gw = wid / p;
  const w = paramTensor(P, W.patchEmbed.weight);
  const bias = paramTensor(P, W.patchEmbed.bias);
  if (c.patchEmbed === 'conv') {
    const y = op.conv2d(x, w, bias, { stride: p });
    return op.reshape(op.transpose(op.reshape(y, [b, c.dim, gh * gw]), [0, 2, 1]), [b * gh * gw, c.dim]);
  }
  // Non-overlapping patches: the strided conv is exactly one GEMM over patch rows (c, ky, kx order).
  const patches = op.reshape(op.transpose(op.reshape(x, [b, ch, gh, p, gw, p]), [0, 2, 4, 1, 3, 5]), [b * gh * gw, ch * p * p]);
  return op.gemm(patches, op.reshape(w, [c.dim, ch * p * p]), bias, { transB: true });
}

/** ViT forward; tokens are kept 2-D [B·T, D] so every Linear is one GEMM. Forward-only graphs (no training)
 * take vitInferenceForward: the same function, arranged for inference. `W` is the model's declaration
 * (the registry passes the one its parameter list came from). */
export function vitForward(c: VitConfig, P: ReadonlyMap<string, Tensor>, images: Tensor, ctx: ForwardContext, W: VitParams = declareVit(c, ParamTable.create())): Tensor {
  if (!ctx.training) return vitInferenceForward(c, P, images, W);
  const b = images.shape[0]!;
  const d = c.dim;
  const t = vitTokens(c);
  const heads = c.heads;
  const hd = d / heads;
  const rates = vitDropPathRates(c);
  const p = (spec: ParamSpec) => paramTensor(P, spec);
  const pe = op.reshape(patchEmbed(c, W, P, images), [b, t - 1, d]);
  const cls = op.expand(p(W.clsToken), [b, 1, d]);
  let x = op.reshape(op.add(op.concat([cls, pe], 1), p(W.posEmbed)), [b * t, d]);

  // Training only (forward-only graphs returned above), so DropPath applies wherever a slot has a rate.
  const residual = (x2: Tensor, branch: Tensor, slot: number): Tensor => {
    const rate = rates[slot]!;
    if (rate === 0 || !ctx.dropMasks) return op.add(x2, branch);
    const mask = op.gather(ctx.dropMasks, x2.graph.constant('int64', [], [slot], 'slot'), 0);
    return op.add(x2, op.reshape(op.dropPath(op.reshape(branch, [b, t, d]), mask, 1 - rate), [b * t, d]));
  };
  const linear = (v: Tensor, l: WeightAndBias) => op.linear(v, p(l.weight), p(l.bias));
  const layerNorm = (v: Tensor, n: WeightAndBias) => op.layerNorm(v, p(n.weight), p(n.bias), c.lnEps);

  W.blocks.forEach((blk, i) => {
    const h = layerNorm(x, blk.norm1);
    const qkv = linear(h, blk.qkv);
    // qkv rows are [q; k; v], each split into heads: [B·T, 3D] → three [B·T, D] → [B, H, T, hd] (k as [B, H, hd, T]).
    const [q2, k2, v2] = op.split(qkv, 1, [d, d, d]) as [Tensor, Tensor, Tensor];
    const heads4 = (t2: Tensor, perm: number[]) => op.transpose(op.reshape(t2, [b, t, heads, hd]), perm);
    const q = op.scale(heads4(q2, [0, 2, 1, 3]), 1 / Math.sqrt(hd));
    const kT = heads4(k2, [0, 2, 3, 1]);
    const v = heads4(v2, [0, 2, 1, 3]);
    const attn = op.softmax(op.matmul(q, kT), -1);
    const o = op.reshape(op.transpose(op.matmul(attn, v), [0, 2, 1, 3]), [b * t, d]);
    x = residual(x, linear(o, blk.proj), 2 * i);
    const h2 = layerNorm(x, blk.norm2);
    const mlp = linear(op.gelu(linear(h2, blk.fc1)), blk.fc2);
    x = residual(x, mlp, 2 * i + 1);
  });
  // Only the class token reaches the head, so the final norm runs on it alone (LayerNorm is per token).
  const clsTok = op.reshape(op.slice(op.reshape(x, [b, t, d]), { axes: [1], starts: [0], ends: [1] }), [b, d]);
  return linear(layerNorm(clsTok, W.norm), W.head);
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
export function vitInferenceForward(c: VitConfig, P: ReadonlyMap<string, Tensor>, images: Tensor, W: VitParams = declareVit(c, ParamTable.create())): Tensor {
  return op.linear(vitInferenceFeatures(c, P, images, W), paramTensor(P, W.head.weight), paramTensor(P, W.head.bias));
}

/** What the head reads: the class token after the final LayerNorm, [B, D] (the inference form above, without
 * the head). The backbone embedding of jobs/embed is this tensor. */
export function vitInferenceFeatures(c: VitConfig, P: ReadonlyMap<string, Tensor>, images: Tensor, W: VitParams = declareVit(c, ParamTable.create())): Tensor {
  const b = images.shape[0]!;
  const d = c.dim;
  const t = vitTokens(c);
  const heads = c.heads;
  const hd = d / heads;
  const p = (spec: ParamSpec) => paramTensor(P, spec);
  const linear = (v: Tensor, l: WeightAndBias) => op.linear(v, p(l.weight), p(l.bias));
  const layerNorm = (v: Tensor, n: WeightAndBias) => op.layerNorm(v, p(n.weight), p(n.bias), c.lnEps);
  const [, ch, hgt, wid] = images.shape as [number, number, number, number];
  const ps = c.patchSize;
  const gh = hgt / ps;
  const gw = wid / ps;
  const w = p(W.patchEmbed.weight);
  // Patch rows in (gy, gx, b) order, each (c, ky, kx) as the conv weight's.
  const patches = op.reshape(op.transpose(op.reshape(images, [b, ch, gh, ps, gw, ps]), [2, 4, 0, 1, 3, 5]), [gh * gw * b, ch * ps * ps]);
  const pe = op.reshape(op.gemm(patches, op.reshape(w, [d, ch * ps * ps]), p(W.patchEmbed.bias), { transB: true }), [t - 1, b, d]);
  const cls = op.expand(op.reshape(p(W.clsToken), [1, 1, d]), [1, b, d]);
  let x = op.reshape(op.add(op.concat([cls, pe], 0), op.reshape(p(W.posEmbed), [t, 1, d])), [t * b, d]);

  const rows = (t2: Tensor, from: number, to: number) => op.slice(t2, { axes: [0], starts: [from], ends: [to] });
  const scale = 1 / Math.sqrt(hd);
  /** [n·B, D] token-major → [B, H, n, hd] (a batch transpose, folded into the MatMul by ORT). */
  const toHeads = (t2: Tensor, n: number) => op.transpose(op.reshape(t2, [n, b, heads, hd]), [1, 2, 0, 3]);
  const block = (blk: VitBlockParams, last: boolean) => {
    const h = layerNorm(x, blk.norm1);
    const wqkv = p(blk.qkv.weight);
    const bqkv = p(blk.qkv.bias);
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
    const x1 = op.add(x0, linear(o, blk.proj));
    const h2 = layerNorm(x1, blk.norm2);
    x = op.add(x1, linear(op.gelu(linear(h2, blk.fc1)), blk.fc2));
  };
  W.blocks.forEach((blk, i) => block(blk, i === W.blocks.length - 1));
  // x is now the class token's row per image, [B, D].
  return layerNorm(x, W.norm);
}
