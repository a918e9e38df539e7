// CBAM pre-filter on the input image (NCHW): channel attention from global average and max pooling through
// one shared MLP (C → hidden → C), then spatial attention from the channel-wise mean and max maps through one
// k×k convolution. The gate that applies each attention map is a config option:
//   plain:    x · σ(z)      the paper as written; with PyTorch's default init σ(z) ≈ ½ and uneven, so it
//                           halves and warps the image the pretrained backbone expects.
//   residual: x · (1 + a), a = 2σ(z) − 1 ∈ (−1, 1), i.e. x · 2σ(z); the last layer of each branch
//             (cbam.channel.fc2 and cbam.spatial.conv, weights and biases) starts at zero, so z = 0,
//             a = 0 and the filter is exactly the identity at initialisation, while its gradients are not zero.
import type { Tensor } from '../graph/builder';
import * as op from '../ops/index';
import { paramTensor, ParamTable, type ParamSpec } from './model';

export type CbamGate = 'plain' | 'residual';

export interface CbamConfig {
  channels: number;
  /** Hidden width of the shared channel MLP (the paper leaves it open; CBAM's ratio 16 gives 0 for C = 3). */
  hidden: number;
  /** Spatial kernel size (7 in CBAM), padded to keep H×W. */
  kernel: number;
  gate: CbamGate;
}

export const DEFAULT_CBAM: CbamConfig = { channels: 3, hidden: 8, kernel: 7, gate: 'residual' };

/** The scope of the pre-filter's parameters: a pretrained backbone never has them, so they keep their init. */
export const CBAM_SCOPE = 'cbam';

export interface CbamParams {
  readonly fc1: { readonly weight: ParamSpec; readonly bias: ParamSpec };
  readonly fc2: { readonly weight: ParamSpec; readonly bias: ParamSpec };
  readonly conv: { readonly weight: ParamSpec; readonly bias: ParamSpec };
}

/** Declares cbam.channel.fc1.*, cbam.channel.fc2.*, cbam.spatial.conv.* (in that order) on `t`. */
export function declareCbam(c: CbamConfig, t: ParamTable): CbamParams {
  const lastInit = (fanIn: number) => (c.gate === 'residual' ? ({ kind: 'zeros' } as const) : ({ kind: 'torchDefault', fanIn } as const));
  const k = c.kernel;
  const s = t.scope(CBAM_SCOPE);
  const fc1 = s.scope('channel').scope('fc1');
  const fc2 = s.scope('channel').scope('fc2');
  const conv = s.scope('spatial').scope('conv');
  return {
    fc1: { weight: fc1.declare('weight', [c.hidden, c.channels], { kind: 'torchDefault', fanIn: c.channels }), bias: fc1.declare('bias', [c.hidden], { kind: 'torchDefault', fanIn: c.channels }) },
    fc2: { weight: fc2.declare('weight', [c.channels, c.hidden], lastInit(c.hidden)), bias: fc2.declare('bias', [c.channels], lastInit(c.hidden)) },
    conv: { weight: conv.declare('weight', [1, 2, k, k], lastInit(2 * k * k)), bias: conv.declare('bias', [1], lastInit(2 * k * k)) },
  };
}

export function cbamParams(c: CbamConfig): ParamSpec[] {
  const t = ParamTable.create();
  declareCbam(c, t);
  return [...t.specs];
}

/** Analytic forward FLOPs per image of the pre-filter (the spatial conv and the channel MLP on both poolings). */
export function cbamForwardFlops(c: CbamConfig, imageSize: number): number {
  const hw = imageSize * imageSize;
  return 2 * (2 * c.kernel * c.kernel) * hw + 2 * 2 * (2 * c.channels * c.hidden);
}

/** Applies an attention map a = σ(z) (the sigmoid is taken once by the caller, as the spatial map is also an output). */
function gate(c: CbamConfig, x: Tensor, a: Tensor): Tensor {
  return op.mul(x, c.gate === 'plain' ? a : op.scale(a, 2));
}

/** Returns the filtered image and the spatial attention map σ(z) [B, 1, H, W]. `W` is the model's declaration
 * (the registry passes the one its parameter list came from). */
export function cbamForward(c: CbamConfig, P: ReadonlyMap<string, Tensor>, x: Tensor, W: CbamParams = declareCbam(c, ParamTable.create())): { out: Tensor; spatialAttention: Tensor } {
  const [b, ch] = x.shape as [number, number, number, number];
  const p = (spec: ParamSpec) => paramTensor(P, spec);
  const mlp = (v: Tensor) => op.linear(op.relu(op.linear(v, p(W.fc1.weight), p(W.fc1.bias))), p(W.fc2.weight), p(W.fc2.bias));
  // Both pooled vectors go through the MLP as one [2B, C] batch: same result, one GEMM per layer.
  const pooled = mlp(op.concat([op.globalAvgPool(x), op.globalMaxPool(x)], 0));
  const zc = op.add(op.slice(pooled, { axes: [0], starts: [0], ends: [b] }), op.slice(pooled, { axes: [0], starts: [b], ends: [2 * b] }));
  const x1 = gate(c, x, op.sigmoid(op.reshape(zc, [b, ch, 1, 1])));
  const maps = op.concat([op.reduceMean(x1, [1], true), op.reduceMax(x1, 1, true)], 1);
  const zs = op.conv2d(maps, p(W.conv.weight), p(W.conv.bias), { pad: (c.kernel - 1) / 2 });
  const spatialAttention = op.sigmoid(zs);
  return { out: gate(c, x1, spatialAttention), spatialAttention };
}
