// AdamW as graph ops, with torch.optim.AdamW's semantics:
//   p ← p·(1 − lr·wd);  m ← β1·m + (1−β1)·g;  v ← β2·v + (1−β2)·g²;
//   p ← p − (lr / (1−β1ᵗ)) · m / (√v / √(1−β2ᵗ) + ε)
// lr and the step count t (after this update) are graph inputs, so one graph serves the whole schedule.
import type { Tensor } from '../graph/builder';
import { binary, cast, unary } from '../ops/emit';

export interface AdamWConfig {
  beta1: number;
  beta2: number;
  eps: number;
  /** Decoupled weight decay; per parameter name when a function. */
  weightDecay: number | ((paramName: string) => number);
}

export const DEFAULT_ADAMW: AdamWConfig = { beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01 };

/** timm's convention, decay `wd` except where the model's no-decay rule says none (biases, norms, position
 * embedding, class token: declared with each parameter, see ParamTable.declare). */
export function decayMatricesOnly(wd: number, model: { noDecay(paramName: string): boolean }): (name: string) => number {
  return (name) => (model.noDecay(name) ? 0 : wd);
}

export interface AdamWStepScalars {
  /** decay = 1 − lr·wd is per parameter; these are shared. */
  lr: Tensor;
  stepSize: Tensor;
  invSqrtBc2: Tensor;
}

/** The per-step scalars: from lr (float32 scalar) and the new step count t (int64 scalar, t ≥ 1). */
export function adamwScalars(lr: Tensor, t: Tensor, config: AdamWConfig): AdamWStepScalars {
  const g = lr.graph;
  const tf = cast(t, 'float32');
  const bc1 = binary('Sub', g.scalar(1, 'float32'), binary('Pow', g.scalar(config.beta1, 'float32'), tf));
  const bc2 = binary('Sub', g.scalar(1, 'float32'), binary('Pow', g.scalar(config.beta2, 'float32'), tf));
  return { lr, stepSize: binary('Div', lr, bc1), invSqrtBc2: unary('Reciprocal', unary('Sqrt', bc2)) };
}

/** Emits one AdamW update of parameter p with gradient grad; returns the new p, m, v. */
export function adamwUpdate(
  name: string,
  p: Tensor,
  grad: Tensor,
  m: Tensor,
  v: Tensor,
  s: AdamWStepScalars,
  config: AdamWConfig,
): { p: Tensor; m: Tensor; v: Tensor } {
  const g = grad.graph;
  const c = (x: number) => g.scalar(x, 'float32');
  const wd = typeof config.weightDecay === 'function' ? config.weightDecay(name) : config.weightDecay;
  const m2 = binary('Add', binary('Mul', m, c(config.beta1)), binary('Mul', grad, c(1 - config.beta1)));
  const v2 = binary('Add', binary('Mul', v, c(config.beta2)), binary('Mul', binary('Mul', grad, grad), c(1 - config.beta2)));
  const denom = binary('Add', binary('Mul', unary('Sqrt', v2), s.invSqrtBc2), c(config.eps));
  const update = binary('Mul', binary('Div', m2, denom), s.stepSize);
  const decayed = wd === 0 ? p : binary('Mul', p, binary('Sub', c(1), binary('Mul', s.lr, c(wd))));
  return { p: binary('Sub', decayed, update), m: m2, v: v2 };
}
