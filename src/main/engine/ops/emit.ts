// Raw node emitters with static shape inference. They leave no tape entry, so they belong inside an op's
// forward emission or gradient rule (or in optimizer code), never directly in model code: autodiff would not
// see them. Model code uses the registered ops in ops/index.ts.
import { hostArray, onnxDataType, type DType } from '../graph/dtype';
import { GraphBuilder, GraphBuilderError, type Tensor } from '../graph/builder';

export function normAxis(axis: number, rank: number): number {
  const a = axis < 0 ? axis + rank : axis;
  if (a < 0 || a >= rank) throw new GraphBuilderError(`axis ${axis} out of range for rank ${rank}`);
  return a;
}

/** NumPy broadcasting of two static shapes. */
export function broadcastShape(a: readonly number[], b: readonly number[]): number[] {
  const rank = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < rank; i++) {
    const da = a[a.length - rank + i] ?? 1;
    const db = b[b.length - rank + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) {
      throw new GraphBuilderError(`shapes [${a.join(', ')}] and [${b.join(', ')}] do not broadcast`);
    }
    out.push(da === 1 ? db : da);
  }
  return out;
}

export function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

export function binary(opType: string, a: Tensor, b: Tensor, dtype?: DType): Tensor {
  const g = GraphBuilder.innermost([a, b]);
  return g.node1(opType, [a, b], { dtype: dtype ?? a.dtype, shape: broadcastShape(a.shape, b.shape), hint: opType });
}

export function unary(opType: string, x: Tensor, attrs: Parameters<GraphBuilder['node1']>[3] = {}): Tensor {
  return x.graph.node1(opType, [x], { dtype: x.dtype, shape: x.shape, hint: opType }, attrs);
}

/** A scalar constant of x's dtype, in x's graph. */
export function scalarLike(x: Tensor, value: number): Tensor {
  return x.graph.scalar(value, x.dtype);
}

export function cast(x: Tensor, to: DType): Tensor {
  if (x.dtype === to) return x;
  return x.graph.node1('Cast', [x], { dtype: to, shape: x.shape, hint: 'Cast' }, { to: { i: onnxDataType[to] } });
}

export function reshapeRaw(x: Tensor, shape: readonly number[]): Tensor {
  if (sameShape(x.shape, shape)) return x;
  const g = x.graph;
  return g.node1('Reshape', [x, g.constant('int64', [shape.length], shape, 'shape')], { dtype: x.dtype, shape, hint: 'Reshape' });
}

export function transposeRaw(x: Tensor, perm: readonly number[]): Tensor {
  if (perm.every((p, i) => p === i)) return x;
  const shape = perm.map((p) => x.shape[p] ?? 0);
  return x.graph.node1('Transpose', [x], { dtype: x.dtype, shape, hint: 'Transpose' }, { perm: { ints: perm } });
}

export function reduceRaw(opType: string, x: Tensor, axes: readonly number[], keepdims: boolean): Tensor {
  const ax = [...new Set(axes.map((a) => normAxis(a, x.shape.length)))].sort((p, q) => p - q);
  if (ax.length === 0) return x;
  const shape = keepdims ? x.shape.map((d, i) => (ax.includes(i) ? 1 : d)) : x.shape.filter((_, i) => !ax.includes(i));
  const g = x.graph;
  // ReduceSum takes axes as an input from opset 13; the other reductions take an attribute until opset 18.
  if (opType === 'ReduceSum') {
    return g.node1('ReduceSum', [x, g.constant('int64', [ax.length], ax, 'axes')], { dtype: x.dtype, shape, hint: 'ReduceSum' }, { keepdims: { i: keepdims ? 1 : 0 } });
  }
  return g.node1(opType, [x], { dtype: x.dtype, shape, hint: opType }, { axes: { ints: ax }, keepdims: { i: keepdims ? 1 : 0 } });
}

/** Sums a broadcast gradient back down to `shape` (the shape of the input that was broadcast). */
export function reduceToShape(grad: Tensor, shape: readonly number[]): Tensor {
  if (sameShape(grad.shape, shape)) return grad;
  const lead = grad.shape.length - shape.length;
  if (lead < 0) throw new GraphBuilderError(`cannot reduce [${grad.shape.join(', ')}] to [${shape.join(', ')}]`);
  const axes: number[] = [];
  grad.shape.forEach((d, i) => {
    if (i < lead) axes.push(i);
    else if (shape[i - lead] === 1 && d !== 1) axes.push(i);
  });
  return reshapeRaw(reduceRaw('ReduceSum', grad, axes, true), shape);
}

/** One-hot of int64 `indices` along a new trailing axis of size `depth`, as `dtype`. */
export function oneHot(indices: Tensor, depth: number, dtype: DType): Tensor {
  const g = indices.graph;
  const range = g.constant('int64', [depth], Array.from({ length: depth }, (_, i) => i), 'range');
  const col = reshapeRaw(indices, [...indices.shape, 1]);
  return cast(binary('Equal', col, range, 'bool'), dtype);
}

/** Zeros of `like`'s shape and dtype (ConstantOfShape, so no large initializer is stored). */
export function zerosLike(like: Tensor): Tensor {
  const g = like.graph;
  const shape = like.shape;
  return g.node1('ConstantOfShape', [g.constant('int64', [shape.length], shape, 'shape')], { dtype: like.dtype, shape, hint: 'zeros' }, {
    value: { t: { dtype: like.dtype, shape: [1], data: hostArray(like.dtype, 1) } },
  });
}
