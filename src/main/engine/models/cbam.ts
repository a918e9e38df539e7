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
import { requireParam, type ParamSpec } from './model';

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

export function cbamParams(c: CbamConfig): ParamSpec[] {
  const lastInit = (fanIn: number) => (c.gate === 'residual' ? ({ kind: 'zeros' } as const) : ({ kind: 'torchDefault', fanIn } as const));
  const k = c.kernel;
  return [
    { name: 'cbam.channel.fc1.weight', shape: [c.hidden, c.channels], init: { kind: 'torchDefault', fanIn: c.channels } },
    { name: 'cbam.channel.fc1.bias', shape: [c.hidden], init: { kind: 'torchDefault', fanIn: c.channels } },
    { name: 'cbam.channel.fc2.weight', shape: [c.channels, c.hidden], init: lastInit(c.hidden) },
    { name: 'cbam.channel.fc2.bias', shape: [c.channels], init: lastInit(c.hidden) },
    { name: 'cbam.spatial.conv.weight', shape: [1, 2, k, k], init: lastInit(2 * k * k) },
    { name: 'cbam.spatial.conv.bias', shape: [1], init: lastInit(2 * k * k) },
  ];
}

/** Applies an attention map a = σ(z) (the sigmoid is taken once by the caller, as the spatial map is also an output). */
function gate(c: CbamConfig, x: Tensor, a: Tensor): Tensor {
  return op.mul(x, c.gate === 'plain' ? a : op.scale(a, 2));
}

/** Returns the filtered image and the spatial attention map σ(z) [B, 1, H, W]. */
export function cbamForward(c: CbamConfig, P: ReadonlyMap<string, Tensor>, x: Tensor): { out: Tensor; spatialAttention: Tensor } {
  const [b, ch] = x.shape as [number, number, number, number];
  const p = (name: string) => requireParam(P, name);
  const mlp = (v: Tensor) =>
    op.linear(op.relu(op.linear(v, p('cbam.channel.fc1.weight'), p('cbam.channel.fc1.bias'))), p('cbam.channel.fc2.weight'), p('cbam.channel.fc2.bias'));
  // Both pooled vectors go through the MLP as one [2B, C] batch: same result, one GEMM per layer.
  const pooled = mlp(op.concat([op.globalAvgPool(x), op.globalMaxPool(x)], 0));
  const zc = op.add(op.slice(pooled, { axes: [0], starts: [0], ends: [b] }), op.slice(pooled, { axes: [0], starts: [b], ends: [2 * b] }));
  const x1 = gate(c, x, op.sigmoid(op.reshape(zc, [b, ch, 1, 1])));
  const maps = op.concat([op.reduceMean(x1, [1], true), op.reduceMax(x1, 1, true)], 1);
  const zs = op.conv2d(maps, p('cbam.spatial.conv.weight'), p('cbam.spatial.conv.bias'), { pad: (c.kernel - 1) / 2 });
  const spatialAttention = op.sigmoid(zs);
  return { out: gate(c, x1, spatialAttention), spatialAttention };
}
