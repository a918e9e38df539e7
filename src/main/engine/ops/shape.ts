// Reshape, Transpose, Expand, Concat, Slice and Gather: data movement, whose gradients move data back.
import { GraphBuilder, GraphBuilderError, type Tensor } from '../graph/builder';
import { numel } from '../graph/dtype';
import { normAxis, reduceToShape, reshapeRaw, transposeRaw, zerosLike } from './emit';
import { only, registerOp } from './registry';

const reshapeOp = registerOp<{ shape: readonly number[] }>({
  name: 'Reshape',
  emit: (_g, [x], { shape }) => {
    if (numel(shape) !== numel(x!.shape)) throw new GraphBuilderError(`cannot reshape [${x!.shape.join(', ')}] to [${shape.join(', ')}]`);
    return [reshapeRaw(x!, shape)];
  },
  gradient: ({ inputs: [x], dOutputs: [dy] }) => [reshapeRaw(dy!, x!.shape)],
});

const transposeOp = registerOp<{ perm: readonly number[] }>({
  name: 'Transpose',
  emit: (_g, [x], { perm }) => {
    if (perm.length !== x!.shape.length || new Set(perm).size !== perm.length) throw new GraphBuilderError(`bad perm [${perm.join(', ')}]`);
    return [transposeRaw(x!, perm)];
  },
  gradient: ({ dOutputs: [dy], attrs: { perm } }) => {
    const inverse = new Array<number>(perm.length);
    perm.forEach((p, i) => (inverse[p] = i));
    return [transposeRaw(dy!, inverse)];
  },
});

const expandOp = registerOp<{ shape: readonly number[] }>({
  name: 'Expand',
  emit: (g, [x], { shape }) => [
    g.node1('Expand', [x!, g.constant('int64', [shape.length], shape, 'shape')], { dtype: x!.dtype, shape, hint: 'Expand' }),
  ],
  gradient: ({ inputs: [x], dOutputs: [dy] }) => [reduceToShape(dy!, x!.shape)],
});

const concatOp = registerOp<{ axis: number }>({
  name: 'Concat',
  emit: (g, inputs, { axis }) => {
    const first = inputs[0]!;
    const a = normAxis(axis, first.shape.length);
    const shape = [...first.shape];
    shape[a] = inputs.reduce((s, t) => s + t.shape[a]!, 0);
    return [g.node1('Concat', inputs, { dtype: first.dtype, shape, hint: 'Concat' }, { axis: { i: a } })];
  },
  gradient: ({ inputs, dOutputs: [dy], attrs: { axis } }) => {
    const a = normAxis(axis, dy!.shape.length);
    const g = dy!.graph;
    const sizes = inputs.map((t) => t.shape[a]!);
    return g.node(
      'Split',
      [dy!, g.constant('int64', [sizes.length], sizes, 'split')],
      inputs.map((t) => ({ dtype: t.dtype, shape: t.shape, hint: 'dConcat' })),
      { axis: { i: a } },
    );
  },
});

const splitOp = registerOp<{ axis: number; sizes: readonly number[] }>({
  name: 'Split',
  emit: (g, [x], { axis, sizes }) => {
    const a = normAxis(axis, x!.shape.length);
    if (sizes.reduce((p, q) => p + q, 0) !== x!.shape[a]) throw new GraphBuilderError(`split sizes [${sizes.join(', ')}] do not add up to ${x!.shape[a]}`);
    return g.node(
      'Split',
      [x!, g.constant('int64', [sizes.length], sizes, 'split')],
      sizes.map((n) => ({ dtype: x!.dtype, shape: x!.shape.map((d, i) => (i === a ? n : d)), hint: 'Split' })),
      { axis: { i: a } },
    );
  },
  // The gradient is the outputs' gradients concatenated back (zeros for an output nothing used).
  gradient: ({ inputs: [x], outputs, dOutputs, attrs: { axis } }) => {
    const a = normAxis(axis, x!.shape.length);
    const parts = outputs.map((o, i) => dOutputs[i] ?? zerosLike(o));
    return [GraphBuilder.innermost(parts).node1('Concat', parts, { dtype: x!.dtype, shape: x!.shape, hint: 'dSplit' }, { axis: { i: a } })];
  },
});

export interface SliceAttrs {
  /** One entry per sliced axis; steps are 1. */
  readonly axes: readonly number[];
  readonly starts: readonly number[];
  readonly ends: readonly number[];
}

function sliceBounds(shape: readonly number[], attrs: SliceAttrs): { begin: number[]; end: number[] } {
  const begin = shape.map(() => 0);
  const end = [...shape];
  attrs.axes.forEach((axis, i) => {
    const a = normAxis(axis, shape.length);
    const d = shape[a]!;
    const clamp = (v: number) => Math.min(Math.max(v < 0 ? v + d : v, 0), d);
    begin[a] = clamp(attrs.starts[i]!);
    end[a] = Math.max(clamp(attrs.ends[i]!), begin[a]!);
  });
  return { begin, end };
}

const sliceOp = registerOp<SliceAttrs>({
  name: 'Slice',
  emit: (g, [x], attrs) => {
    const { begin, end } = sliceBounds(x!.shape, attrs);
    const shape = begin.map((b, i) => end[i]! - b);
    const axes = attrs.axes.map((a) => normAxis(a, x!.shape.length));
    const inputs = [
      x!,
      g.constant('int64', [axes.length], axes.map((a) => begin[a]!), 'starts'),
      g.constant('int64', [axes.length], axes.map((a) => end[a]!), 'ends'),
      g.constant('int64', [axes.length], axes, 'axes'),
    ];
    return [g.node1('Slice', inputs, { dtype: x!.dtype, shape, hint: 'Slice' })];
  },
  // The gradient is the output gradient padded with zeros back to the input's extent.
  gradient: ({ inputs: [x], dOutputs: [dy], attrs }) => {
    const { begin, end } = sliceBounds(x!.shape, attrs);
    const pads = [...begin, ...end.map((e, i) => x!.shape[i]! - e)];
    const g = dy!.graph;
    return [g.node1('Pad', [dy!, g.constant('int64', [pads.length], pads, 'pads')], { dtype: x!.dtype, shape: x!.shape, hint: 'dSlice' })];
  },
});

const gatherOp = registerOp<{ axis: number }>({
  name: 'Gather',
  emit: (g, [data, indices], { axis }) => {
    const a = normAxis(axis, data!.shape.length);
    const shape = [...data!.shape.slice(0, a), ...indices!.shape, ...data!.shape.slice(a + 1)];
    return [g.node1('Gather', [data!, indices!], { dtype: data!.dtype, shape, hint: 'Gather' }, { axis: { i: a } })];
  },
  // Scatter-add of the output gradient into zeros, so repeated indices accumulate.
  gradient: ({ inputs: [data, indices], dOutputs: [dy], needsGrad, attrs: { axis } }) => {
    if (needsGrad[1]) throw new GraphBuilderError('Gather indices are not differentiable');
    const d = data!;
    const a = normAxis(axis, d.shape.length);
    const n = numel(indices!.shape);
    const g = dy!.graph;
    const flatShape = [...d.shape.slice(0, a), n, ...d.shape.slice(a + 1)];
    const updates = reshapeRaw(dy!, flatShape);
    const idxShape = d.shape.map((_, i) => (i === a ? n : 1));
    const idx = g.node1('Expand', [reshapeRaw(indices!, idxShape), g.constant('int64', [flatShape.length], flatShape, 'shape')], {
      dtype: 'int64',
      shape: flatShape,
      hint: 'gatherIdx',
    });
    const zeros = zerosLike(d);
    return [
      g.node1('ScatterElements', [zeros, idx, updates], { dtype: d.dtype, shape: d.shape, hint: 'dGather' }, { axis: { i: a }, reduction: { s: 'add' } }),
      null,
    ];
  },
});

export const reshape = (x: Tensor, shape: readonly number[]): Tensor => only(reshapeOp([x], { shape }));
export const transpose = (x: Tensor, perm: readonly number[]): Tensor => only(transposeOp([x], { perm }));
export const expand = (x: Tensor, shape: readonly number[]): Tensor => only(expandOp([x], { shape }));
export const concat = (xs: readonly Tensor[], axis: number): Tensor => only(concatOp(xs, { axis }));
export const slice = (x: Tensor, attrs: SliceAttrs): Tensor => only(sliceOp([x], attrs));
/** Splits x along `axis` into pieces of the given sizes. */
export const split = (x: Tensor, axis: number, sizes: readonly number[]): Tensor[] => splitOp([x], { axis, sizes });
/** Gather along `axis`; int64 indices (a scalar index drops the axis). */
export const gather = (data: Tensor, indices: Tensor, axis: number): Tensor => only(gatherOp([data, indices], { axis }));
