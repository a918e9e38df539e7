// Softmax and LayerNormalization (over the last axis).
import type { Tensor } from '../graph/builder';
import { binary, cast, normAxis, reduceRaw, unary } from './emit';
import { only, registerOp } from './registry';

const softmaxOp = registerOp<{ axis: number }>({
  name: 'Softmax',
  emit: (_g, [x], { axis }) => [unary('Softmax', x!, { axis: { i: normAxis(axis, x!.shape.length) } })],
  // dx = y ⊙ (dy − Σ_axis dy ⊙ y)
  gradient: ({ outputs: [y], dOutputs: [dy], attrs: { axis } }) => {
    const dot = reduceRaw('ReduceSum', binary('Mul', dy!, y!), [axis], true);
    return [binary('Mul', y!, binary('Sub', dy!, dot))];
  },
});

const layerNormOp = registerOp<{ eps: number }>({
  name: 'LayerNormalization',
  // Also outputs the row mean and 1/σ, which the gradient reuses instead of recomputing them.
  emit: (g, [x, w, b], { eps }) => {
    const X = x!;
    const stat = [...X.shape.slice(0, -1), 1];
    return g.node(
      'LayerNormalization',
      [X, w!, b!],
      [
        { dtype: X.dtype, shape: X.shape, hint: 'LayerNorm' },
        { dtype: 'float32', shape: stat, hint: 'lnMean' },
        { dtype: 'float32', shape: stat, hint: 'lnInvStd' },
      ],
      // The statistics are float32 (stash_type 1): ORT's CPU kernel implements no other stash type.
      { axis: { i: -1 }, epsilon: { f: eps }, stash_type: { i: 1 } },
    );
  },
  // x̂ = (x − μ)/σ; dγ = Σ dy⊙x̂, dβ = Σ dy; dx = (1/σ)·(dx̂ − mean(dx̂) − x̂⊙mean(dx̂⊙x̂)) with dx̂ = dy⊙γ.
  gradient: ({ inputs: [x, w], outputs: [, mean, invStd], dOutputs: [dy], needsGrad }) => {
    const X = x!;
    const rowAxes = X.shape.slice(0, -1).map((_, i) => i);
    const xhat = binary('Mul', binary('Sub', X, cast(mean!, X.dtype)), cast(invStd!, X.dtype));
    const dW = needsGrad[1] ? reduceRaw('ReduceSum', binary('Mul', dy!, xhat), rowAxes, false) : null;
    const dB = needsGrad[2] ? reduceRaw('ReduceSum', dy!, rowAxes, false) : null;
    let dX: Tensor | null = null;
    if (needsGrad[0]) {
      const dxhat = binary('Mul', dy!, w!);
      const m1 = reduceRaw('ReduceMean', dxhat, [-1], true);
      const m2 = reduceRaw('ReduceMean', binary('Mul', dxhat, xhat), [-1], true);
      dX = binary('Mul', binary('Sub', binary('Sub', dxhat, m1), binary('Mul', xhat, m2)), cast(invStd!, X.dtype));
    }
    return [dX, dW, dB];
  },
});

export const softmax = (x: Tensor, axis = -1): Tensor => only(softmaxOp([x], { axis }));
/** LayerNorm over the last axis with affine weight and bias (PyTorch nn.LayerNorm semantics). */
export const layerNorm = (x: Tensor, weight: Tensor, bias: Tensor, eps: number): Tensor => only(layerNormOp([x, weight, bias], { eps }));
