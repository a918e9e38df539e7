// ReduceSum, ReduceMean and ReduceMax (one axis; the gradient goes to the first maximum). Global average and
// max pooling are these over the flattened spatial axis (see pooling helpers below).
import type { Tensor } from '../graph/builder';
import { binary, cast, normAxis, reduceRaw, reshapeRaw } from './emit';
import { only, registerOp } from './registry';
import { reshape } from './shape';

interface ReduceAttrs {
  readonly axes: readonly number[];
  readonly keepdims: boolean;
}

function keptShape(x: Tensor, axes: readonly number[]): number[] {
  const ax = axes.map((a) => normAxis(a, x.shape.length));
  return x.shape.map((d, i) => (ax.includes(i) ? 1 : d));
}

function expandTo(t: Tensor, shape: readonly number[]): Tensor {
  const g = t.graph;
  return g.node1('Expand', [t, g.constant('int64', [shape.length], shape, 'shape')], { dtype: t.dtype, shape, hint: 'Expand' });
}

const reduceSumOp = registerOp<ReduceAttrs>({
  name: 'ReduceSum',
  emit: (_g, [x], { axes, keepdims }) => [reduceRaw('ReduceSum', x!, axes, keepdims)],
  gradient: ({ inputs: [x], dOutputs: [dy], attrs: { axes } }) => [expandTo(reshapeRaw(dy!, keptShape(x!, axes)), x!.shape)],
});

const reduceMeanOp = registerOp<ReduceAttrs>({
  name: 'ReduceMean',
  emit: (_g, [x], { axes, keepdims }) => [reduceRaw('ReduceMean', x!, axes, keepdims)],
  gradient: ({ inputs: [x], dOutputs: [dy], attrs: { axes } }) => {
    const count = axes.map((a) => x!.shape[normAxis(a, x!.shape.length)]!).reduce((p, q) => p * q, 1);
    const scaled = binary('Mul', reshapeRaw(dy!, keptShape(x!, axes)), x!.graph.scalar(1 / count, x!.dtype));
    return [expandTo(scaled, x!.shape)];
  },
});

const reduceMaxOp = registerOp<{ readonly axis: number; readonly keepdims: boolean }>({
  name: 'ReduceMax',
  emit: (_g, [x], { axis, keepdims }) => [reduceRaw('ReduceMax', x!, [axis], keepdims)],
  // Routes the gradient to the FIRST position holding the maximum (ArgMax, select_last_index=0), so ties
  // are broken deterministically, as PyTorch's max(dim) does.
  gradient: ({ inputs: [x], dOutputs: [dy], attrs: { axis } }) => {
    const X = x!;
    const a = normAxis(axis, X.shape.length);
    const g = X.graph;
    const kept = keptShape(X, [a]);
    const argmax = g.node1('ArgMax', [X], { dtype: 'int64', shape: kept, hint: 'ArgMax' }, { axis: { i: a }, keepdims: { i: 1 }, select_last_index: { i: 0 } });
    const d = X.shape[a]!;
    const rangeShape = X.shape.map((_, i) => (i === a ? d : 1));
    const range = g.constant('int64', rangeShape, Array.from({ length: d }, (_, i) => i), 'range');
    const mask = cast(binary('Equal', range, argmax, 'bool'), X.dtype);
    return [binary('Mul', mask, reshapeRaw(dy!, kept))];
  },
});

export const reduceSum = (x: Tensor, axes: readonly number[], keepdims = false): Tensor => only(reduceSumOp([x], { axes, keepdims }));
export const reduceMean = (x: Tensor, axes: readonly number[], keepdims = false): Tensor => only(reduceMeanOp([x], { axes, keepdims }));
export const reduceMax = (x: Tensor, axis: number, keepdims = false): Tensor => only(reduceMaxOp([x], { axis, keepdims }));

/** Global average pooling of NCHW: [N, C, H, W] → [N, C]. */
export function globalAvgPool(x: Tensor): Tensor {
  const [n, c, h, w] = x.shape as [number, number, number, number];
  return reduceMean(reshape(x, [n, c, h * w]), [2]);
}

/** Global max pooling of NCHW: [N, C, H, W] → [N, C]. */
export function globalMaxPool(x: Tensor): Tensor {
  const [n, c, h, w] = x.shape as [number, number, number, number];
  return reduceMax(reshape(x, [n, c, h * w]), 2);
}
