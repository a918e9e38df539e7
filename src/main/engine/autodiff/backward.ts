// Reverse-mode autodiff over a builder's tape: walks the recorded op applications backwards from a scalar
// loss and emits each op's gradient rule as standard ONNX nodes. Gradients of a tensor used several times
// are summed. Only tensors in `wrt` (and what lies between them and the loss) get gradients, which is how
// frozen parameters are left out: they are simply not in `wrt`.
import { GraphBuilderError, type GraphBuilder, type Tensor } from '../graph/builder';
import { isFloat } from '../graph/dtype';
import { binary, sameShape } from '../ops/emit';
import { getOp } from '../ops/registry';

export class AutodiffError extends Error {}

export interface BackwardOptions {
  /** Gradient of the final output wrt `loss` (defaults to 1: loss must then be a scalar). */
  seed?: Tensor;
}

/** Emits d(loss)/d(t) for every t in `wrt` into g (the graph whose tape recorded the forward pass). */
export function backward(g: GraphBuilder, loss: Tensor, wrt: readonly Tensor[], options: BackwardOptions = {}): Map<string, Tensor> {
  if (!options.seed && loss.shape.length !== 0) throw new AutodiffError(`loss "${loss.name}" must be a scalar, got [${loss.shape.join(', ')}]`);
  for (const t of wrt) if (!isFloat(t.dtype)) throw new AutodiffError(`cannot differentiate wrt ${t.dtype} tensor "${t.name}"`);

  const tape = g.tape;
  // Forward sweep: which values depend on a tensor we differentiate wrt (through any op, so that a path
  // through a non-differentiable op is reported rather than silently treated as constant).
  const dependsOnWrt = new Set(wrt.map((t) => t.name));
  for (const e of tape) {
    if (e.inputs.some((t) => dependsOnWrt.has(t.name))) for (const o of e.outputs) dependsOnWrt.add(o.name);
  }
  if (!dependsOnWrt.has(loss.name)) throw new AutodiffError(`loss "${loss.name}" does not depend on any tensor it is differentiated wrt`);

  const grads = new Map<string, Tensor>();
  const accumulate = (t: Tensor, dt: Tensor) => {
    if (!sameShape(t.shape, dt.shape)) {
      throw new AutodiffError(`gradient for "${t.name}" has shape [${dt.shape.join(', ')}], expected [${t.shape.join(', ')}]`);
    }
    const prev = grads.get(t.name);
    grads.set(t.name, prev ? binary('Add', prev, dt) : dt);
  };

  return g.untaped(() => {
    grads.set(loss.name, options.seed ?? g.scalar(1, loss.dtype));
    for (let i = tape.length - 1; i >= 0; i--) {
      const e = tape[i]!;
      const dOutputs = e.outputs.map((o) => grads.get(o.name) ?? null);
      if (dOutputs.every((d) => d === null)) continue;
      const needsGrad = e.inputs.map((t) => dependsOnWrt.has(t.name));
      if (!needsGrad.some(Boolean)) continue;
      const def = getOp(e.op);
      if (def.gradient === 'not-differentiable') {
        const input = e.inputs.find((t) => dependsOnWrt.has(t.name));
        throw new AutodiffError(`op "${e.op}" has no gradient rule, but the loss depends on its input "${input?.name ?? '?'}" through it`);
      }
      // Rules read dOutputs[k]! for the outputs that matter; zero-fill the others (e.g. LayerNorm statistics).
      let dInputs: readonly (Tensor | null)[];
      try {
        dInputs = def.gradient({ g, inputs: e.inputs, outputs: e.outputs, attrs: e.attrs, dOutputs, needsGrad });
      } catch (err) {
        if (err instanceof GraphBuilderError || err instanceof AutodiffError) throw new AutodiffError(`gradient of op "${e.op}": ${err.message}`);
        throw err;
      }
      e.inputs.forEach((t, k) => {
        const d = dInputs[k];
        if (needsGrad[k] && d) accumulate(t, d);
        else if (needsGrad[k] && !d) throw new AutodiffError(`gradient rule of op "${e.op}" gave no gradient for input ${k} ("${t.name}")`);
      });
    }
    const out = new Map<string, Tensor>();
    for (const t of wrt) {
      const d = grads.get(t.name);
      out.set(t.name, d ?? zerosOf(g, t));
    }
    return out;
  });
}

function zerosOf(g: GraphBuilder, t: Tensor): Tensor {
  // A tensor the loss does not reach has a zero gradient.
  return g.node1('ConstantOfShape', [g.constant('int64', [t.shape.length], t.shape, 'shape')], { dtype: t.dtype, shape: t.shape, hint: 'zeroGrad' }, {
    value: { t: { dtype: t.dtype, shape: [1], data: t.dtype === 'float64' ? new Float64Array(1) : new Float32Array(1) } },
  });
}
