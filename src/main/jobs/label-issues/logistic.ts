// Multinomial logistic regression with an L2 penalty and class weights, fitted by L-BFGS with a closed-form
// gradient: the quick mode's classifier on backbone embeddings (a few hundred rows of 192 values, 7 classes:
// a fit takes tens of milliseconds, so K folds need no ONNX graph and no worker).
//
// It minimises scikit-learn's objective for LogisticRegression(multi_class='multinomial', penalty='l2', C):
//
//   Σ_i w_i · (−log p_i[y_i]) + ‖W‖² / (2C),   p_i = softmax(W x_i + b),   the intercepts b not penalised,
//
// with one weight vector per class (the symmetric parameterisation; the penalty makes W unique), and w_i the
// weight of y_i's class: 'balanced' is n / (K · n_c), scikit-learn's. The objective is divided by Σ w_i, which
// leaves the minimiser where it is and makes the stopping tolerance independent of the catalogue's size.
// test/label-issues/logistic.test.ts checks the probabilities against scikit-learn's (a committed fixture).
// Deterministic: the same inputs give the same bits (fixed loop order, no randomness, start at zero).

export interface LogisticOptions {
  /** Inverse penalty strength, scikit-learn's C. */
  C: number;
  /** 'balanced' (n / (K · n_c)), none (all 1), or one weight per class. */
  classWeight: 'balanced' | 'none' | readonly number[];
  /** Stop when the largest gradient component of the normalised objective is below this. */
  gradientTolerance?: number;
  maxIterations?: number;
}

export interface LogisticModel {
  classes: number;
  dim: number;
  /** K × dim, row-major. */
  weights: Float64Array;
  intercepts: Float64Array;
  iterations: number;
  /** Objective and gradient evaluations (the cost: each is two passes over the rows). */
  evaluations: number;
  converged: boolean;
  /** The normalised objective at the end. */
  objective: number;
}

/** Rows of a row-major matrix: n × dim. */
export interface Matrix {
  rows: number;
  cols: number;
  data: Float64Array;
}

export function matrix(rows: number, cols: number, data = new Float64Array(rows * cols)): Matrix {
  if (data.length !== rows * cols) throw new Error(`a ${rows}×${cols} matrix needs ${rows * cols} values, got ${data.length}`);
  return { rows, cols, data };
}

/** The per-sample weights: each sample gets its class's weight. */
function sampleWeights(y: Int32Array, classes: number, classWeight: LogisticOptions['classWeight']): Float64Array {
  const counts = new Array<number>(classes).fill(0);
  for (const c of y) counts[c]!++;
  const perClass =
    classWeight === 'none'
      ? counts.map(() => 1)
      : classWeight === 'balanced'
        ? counts.map((n) => (n > 0 ? y.length / (classes * n) : 0))
        : [...classWeight];
  if (perClass.length !== classes) throw new Error(`${perClass.length} class weights for ${classes} classes`);
  return Float64Array.from(y, (c) => perClass[c]!);
}

/**
 * Class probabilities of the rows of X (n × dim) into `out` (n × K): softmax(W x + b), computed stably (the
 * largest logit subtracted). Returns Σ_i w_i · (−log p_i[y_i]) when labels and weights are given.
 */
function forward(x: Matrix, weights: Float64Array, intercepts: Float64Array, classes: number, out: Float64Array, y?: Int32Array, sw?: Float64Array): number {
  const { rows: n, cols: d, data } = x;
  let loss = 0;
  for (let i = 0; i < n; i++) {
    const row = i * d;
    const o = i * classes;
    let max = -Infinity;
    for (let k = 0; k < classes; k++) {
      const w = k * d;
      let z = intercepts[k]!;
      for (let j = 0; j < d; j++) z += weights[w + j]! * data[row + j]!;
      out[o + k] = z;
      if (z > max) max = z;
    }
    let sum = 0;
    for (let k = 0; k < classes; k++) {
      const e = Math.exp(out[o + k]! - max);
      out[o + k] = e;
      sum += e;
    }
    if (y && sw) loss += sw[i]! * (Math.log(sum) + max - (Math.log(out[o + y[i]!]!) + max));
    for (let k = 0; k < classes; k++) out[o + k]! /= sum;
  }
  return loss;
}

/** Fits the model (see the file's comment). Throws on an empty problem or a label outside 0..K−1. */
export function fitLogistic(x: Matrix, y: Int32Array, classes: number, options: LogisticOptions): LogisticModel {
  const { rows: n, cols: d } = x;
  if (n === 0 || n !== y.length) throw new Error(`fitLogistic: ${n} rows and ${y.length} labels`);
  for (const c of y) if (!(c >= 0 && c < classes)) throw new Error(`fitLogistic: label ${c} is not one of ${classes} classes`);
  if (!(options.C > 0)) throw new Error(`fitLogistic: C must be positive, got ${options.C}`);
  const sw = sampleWeights(y, classes, options.classWeight);
  const total = sw.reduce((a, b) => a + b, 0);
  const penalty = 1 / options.C;
  const size = classes * d + classes;
  const probs = new Float64Array(n * classes);

  // θ = [W (K × d, row-major), b (K)].
  let evaluations = 0;
  const evaluate = (theta: Float64Array, grad: Float64Array): number => {
    evaluations++;
    return objective(x, y, sw, classes, penalty, total, theta, grad, probs);
  };

  const result = lbfgs(evaluate, new Float64Array(size), { gradientTolerance: options.gradientTolerance ?? 1e-9, maxIterations: options.maxIterations ?? 2000 });
  return {
    classes,
    dim: d,
    weights: result.x.slice(0, classes * d),
    intercepts: result.x.slice(classes * d),
    iterations: result.iterations,
    evaluations,
    converged: result.converged,
    objective: result.f,
  };
}

/** The normalised objective at θ = [W, b], and its gradient into `grad`; `probs` is scratch (n × K). */
function objective(x: Matrix, y: Int32Array, sw: Float64Array, classes: number, penalty: number, total: number, theta: Float64Array, grad: Float64Array, probs: Float64Array): number {
  const { rows: n, cols: d, data } = x;
  const wSize = classes * d;
  const weights = theta.subarray(0, wSize);
  const intercepts = theta.subarray(wSize);
  let f = forward(x, weights, intercepts, classes, probs, y, sw);
  grad.fill(0);
  for (let i = 0; i < n; i++) {
    const row = i * d;
    const o = i * classes;
    const label = y[i]!;
    const wi = sw[i]!;
    for (let k = 0; k < classes; k++) {
      const g = wi * (probs[o + k]! - (label === k ? 1 : 0));
      const w = k * d;
      for (let j = 0; j < d; j++) grad[w + j] = grad[w + j]! + g * data[row + j]!;
      grad[wSize + k] = grad[wSize + k]! + g;
    }
  }
  let norm = 0;
  for (let j = 0; j < wSize; j++) {
    const v = theta[j]!;
    norm += v * v;
    grad[j] = grad[j]! + penalty * v;
  }
  f += 0.5 * penalty * norm;
  const size = grad.length;
  for (let j = 0; j < size; j++) grad[j] = grad[j]! / total;
  return f / total;
}

/** The class probabilities of the rows of X: n × K, row-major. */
export function predictProbabilities(model: LogisticModel, x: Matrix): Float64Array {
  if (x.cols !== model.dim) throw new Error(`the model takes ${model.dim} features, the rows have ${x.cols}`);
  const out = new Float64Array(x.rows * model.classes);
  forward(x, model.weights, model.intercepts, model.classes, out);
  return out;
}

interface LbfgsResult {
  x: Float64Array;
  f: number;
  iterations: number;
  converged: boolean;
}

const dot = (a: Float64Array, b: Float64Array): number => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
};
const maxAbs = (a: Float64Array): number => {
  let m = 0;
  for (const v of a) if (Math.abs(v) > m) m = Math.abs(v);
  return m;
};

/**
 * L-BFGS (Nocedal & Wright, algorithm 7.4/7.5) with 10 correction pairs and a line search for the strong Wolfe
 * conditions (algorithms 3.5/3.6, bisection in the zoom). Smooth convex objectives only, which is all it serves.
 */
function lbfgs(
  evaluate: (x: Float64Array, grad: Float64Array) => number,
  x0: Float64Array,
  o: { gradientTolerance: number; maxIterations: number },
): LbfgsResult {
  const m = 10;
  const size = x0.length;
  let x: Float64Array = x0.slice();
  let g: Float64Array = new Float64Array(size);
  let f = evaluate(x, g);
  const s: Float64Array[] = [];
  const yv: Float64Array[] = [];
  const rho: number[] = [];
  const direction = new Float64Array(size);
  const alpha = new Array<number>(m).fill(0);
  let iterations = 0;
  while (iterations < o.maxIterations) {
    if (maxAbs(g) < o.gradientTolerance) return { x, f, iterations, converged: true };
    // Two-loop recursion: direction = −H g.
    for (let i = 0; i < size; i++) direction[i] = -g[i]!;
    for (let k = s.length - 1; k >= 0; k--) {
      alpha[k] = rho[k]! * dot(s[k]!, direction);
      const a = alpha[k]!;
      const yk = yv[k]!;
      for (let i = 0; i < size; i++) direction[i]! -= a * yk[i]!;
    }
    if (s.length > 0) {
      const last = s.length - 1;
      const gamma = dot(s[last]!, yv[last]!) / dot(yv[last]!, yv[last]!);
      for (let i = 0; i < size; i++) direction[i]! *= gamma;
    } else {
      // The first step: a unit step along the steepest descent would be far too long for large gradients.
      const scale = 1 / Math.max(1, Math.sqrt(dot(g, g)));
      for (let i = 0; i < size; i++) direction[i]! *= scale;
    }
    for (let k = 0; k < s.length; k++) {
      const b = rho[k]! * dot(yv[k]!, direction);
      const a = alpha[k]! - b;
      const sk = s[k]!;
      for (let i = 0; i < size; i++) direction[i]! += a * sk[i]!;
    }
    let slope = dot(g, direction);
    if (!(slope < 0)) {
      // Not a descent direction (rounding near the optimum): restart from the steepest descent.
      s.length = yv.length = rho.length = 0;
      for (let i = 0; i < size; i++) direction[i] = -g[i]!;
      slope = dot(g, direction);
      if (!(slope < 0)) return { x, f, iterations, converged: true };
    }
    const step = wolfeLineSearch(evaluate, x, f, slope, direction);
    iterations++;
    if (step === null) return { x, f, iterations, converged: maxAbs(g) < o.gradientTolerance * 100 };
    const sk = new Float64Array(size);
    const ykv = new Float64Array(size);
    for (let i = 0; i < size; i++) {
      sk[i] = step.x[i]! - x[i]!;
      ykv[i] = step.g[i]! - g[i]!;
    }
    const sy = dot(sk, ykv);
    const previous = f;
    x = step.x;
    g = step.g;
    f = step.f;
    if (sy > 1e-300) {
      if (s.length === m) {
        s.shift();
        yv.shift();
        rho.shift();
      }
      s.push(sk);
      yv.push(ykv);
      rho.push(1 / sy);
    }
    // No progress left to make in double precision.
    if (previous - f <= 1e-16 * Math.max(1, Math.abs(f)) && maxAbs(g) < o.gradientTolerance * 1e3) return { x, f, iterations, converged: true };
  }
  return { x, f, iterations, converged: maxAbs(g) < o.gradientTolerance };
}

/** A step satisfying the strong Wolfe conditions (c1 = 1e-4, c2 = 0.9), or null when none is found. */
function wolfeLineSearch(
  evaluate: (x: Float64Array, grad: Float64Array) => number,
  x: Float64Array,
  f0: number,
  slope0: number,
  direction: Float64Array,
): { x: Float64Array; f: number; g: Float64Array } | null {
  const c1 = 1e-4;
  const c2 = 0.9;
  const size = x.length;
  const at = (t: number): { t: number; x: Float64Array; f: number; g: Float64Array; slope: number } => {
    const xt = new Float64Array(size);
    for (let i = 0; i < size; i++) xt[i] = x[i]! + t * direction[i]!;
    const gt = new Float64Array(size);
    const ft = evaluate(xt, gt);
    return { t, x: xt, f: ft, g: gt, slope: dot(gt, direction) };
  };
  type Point = ReturnType<typeof at>;
  const zoom = (lo: Point, hi: Point): Point | null => {
    for (let i = 0; i < 60; i++) {
      const p = at((lo.t + hi.t) / 2);
      if (!Number.isFinite(p.f) || p.f > f0 + c1 * p.t * slope0 || p.f >= lo.f) hi = p;
      else {
        if (Math.abs(p.slope) <= -c2 * slope0) return p;
        if (p.slope * (hi.t - lo.t) >= 0) hi = lo;
        lo = p;
      }
    }
    // The interval shrank to nothing: take the best decrease found, if any.
    return lo.t > 0 && lo.f < f0 ? lo : null;
  };
  let previous: Point = { t: 0, x, f: f0, g: new Float64Array(0), slope: slope0 };
  let t = 1;
  for (let i = 0; i < 40; i++) {
    const p = at(t);
    if (!Number.isFinite(p.f) || p.f > f0 + c1 * t * slope0 || (i > 0 && p.f >= previous.f)) return zoom(previous, p);
    if (Math.abs(p.slope) <= -c2 * slope0) return p;
    if (p.slope >= 0) return zoom(p, previous);
    previous = p;
    t *= 2;
  }
  return null;
}
