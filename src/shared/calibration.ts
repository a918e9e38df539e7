// Whether a model's confidence means what it says, and a temperature that makes it (Guo et al. 2017, "On
// Calibration of Modern Neural Networks"). Pure functions: src/shared runs in the main process and the renderer.
//
//   expectedCalibrationError: the reliability diagram's bins and their weighted gap (ECE), from each photo's
//                             top-class confidence and whether that class was right
//   fitTemperature:           the T > 0 that minimises the mean NLL of softmax(logits / T) on held-out logits;
//                             T > 1 softens an over-confident model, and no T changes any argmax
import { softmax } from './metrics';

/** One bin of the reliability diagram, [bin_lo, bin_hi) (the top bin also holds 1). */
export interface ReliabilityBin {
  bin_lo: number;
  bin_hi: number;
  /** Photos whose confidence falls in the bin. */
  count: number;
  /** Mean confidence of the bin's photos; null for an empty bin (there is no mean to draw). */
  mean_confidence: number | null;
  /** Share of the bin's photos whose predicted class was right; null for an empty bin. */
  accuracy: number | null;
}

export interface CalibrationReport {
  /** Σ_b (n_b / N) · |accuracy_b − mean_confidence_b| over the non-empty bins; 0 when there are no photos. */
  ece: number;
  /**
   * Every bin, in order, the empty ones included (count 0, null means), so that a diagram always has the same
   * x axis and a reader can tell "no photos here" from "right every time".
   */
  reliability: ReliabilityBin[];
}

/** The bins the issue asks for (and the usual choice since Guo et al.). */
export const ECE_BINS = 15;

/**
 * The expected calibration error over equal-width bins of [0, 1]. Bin b holds the confidences in
 * [b/bins, (b+1)/bins); the top bin is closed, so a confidence of exactly 1 counts in it.
 */
export function expectedCalibrationError(confidences: readonly number[], correct: readonly boolean[], bins = ECE_BINS): CalibrationReport {
  if (confidences.length !== correct.length) throw new RangeError('confidences and correct differ in length');
  if (!Number.isInteger(bins) || bins < 1) throw new RangeError(`bins must be a positive integer, not ${bins}`);
  const count = new Array<number>(bins).fill(0);
  const confidenceSum = new Array<number>(bins).fill(0);
  const correctCount = new Array<number>(bins).fill(0);
  for (let i = 0; i < confidences.length; i++) {
    const c = confidences[i]!;
    if (!(c >= 0 && c <= 1)) throw new RangeError(`confidence ${c} at ${i} is not in [0, 1]`);
    const b = Math.min(bins - 1, Math.floor(c * bins));
    count[b]! += 1;
    confidenceSum[b]! += c;
    if (correct[i]) correctCount[b]! += 1;
  }
  const n = confidences.length;
  let ece = 0;
  const reliability: ReliabilityBin[] = count.map((nb, b) => {
    // Edges as b / bins, not b · (1 / bins): 3 / 15 is exactly 0.2 where 3 · (1 / 15) is not.
    const bin = { bin_lo: b / bins, bin_hi: (b + 1) / bins, count: nb };
    if (nb === 0) return { ...bin, mean_confidence: null, accuracy: null };
    const meanConfidence = confidenceSum[b]! / nb;
    const accuracy = correctCount[b]! / nb;
    ece += (nb / n) * Math.abs(accuracy - meanConfidence);
    return { ...bin, mean_confidence: meanConfidence, accuracy };
  });
  return { ece, reliability };
}

/**
 * The calibration of per-photo predictions: each photo's top-class confidence (its probability of the predicted
 * class) against whether that class is its label.
 */
export function calibrationOfPredictions(truth: readonly number[], predicted: readonly number[], confidences: readonly number[], bins = ECE_BINS): CalibrationReport {
  if (truth.length !== predicted.length) throw new RangeError('truth and predicted differ in length');
  return expectedCalibrationError(
    confidences,
    truth.map((t, i) => t === predicted[i]),
    bins,
  );
}

/** softmax(logits / T) of one row. */
export function softmaxWithTemperature(logits: readonly number[], temperature: number): number[] {
  if (!(temperature > 0) || !Number.isFinite(temperature)) throw new RangeError(`the temperature must be a positive number, not ${temperature}`);
  return softmax(logits.map((z) => z / temperature));
}

/** Mean negative log-likelihood of the labels under softmax(logits / T), computed as log-sum-exp (no underflow). */
export function meanNll(logits: readonly (readonly number[])[], labels: readonly number[], temperature = 1): number {
  checkLogits(logits, labels);
  let sum = 0;
  for (let i = 0; i < logits.length; i++) {
    const row = logits[i]!;
    let max = -Infinity;
    for (const z of row) max = Math.max(max, z / temperature);
    let s = 0;
    for (const z of row) s += Math.exp(z / temperature - max);
    sum += max + Math.log(s) - row[labels[i]!]! / temperature;
  }
  return sum / logits.length;
}

export interface TemperatureFit {
  temperature: number;
  /** Mean NLL at T = 1 and at the fitted T (never higher: T = 1 is inside the searched range). */
  nllBefore: number;
  nllAfter: number;
}

/** Where fitTemperature looks. A fit at either end says the logits are extreme (separable data, or constant). */
export const TEMPERATURE_RANGE: readonly [number, number] = [0.05, 20];

/**
 * The temperature that minimises the mean NLL of softmax(logits / T), by golden-section search on log T over
 * TEMPERATURE_RANGE. The NLL is convex in 1/T (a log-sum-exp less a linear term), so it is unimodal in log T and
 * the search finds its minimum; the range's ends and T = 1 are compared too, so that data the model separates
 * perfectly (NLL falling all the way to T → 0) gets the low end rather than a point near it, and T = 1 is kept
 * whenever nothing beats it. Deterministic: no randomness, a fixed number of steps.
 */
export function fitTemperature(logits: readonly (readonly number[])[], labels: readonly number[]): TemperatureFit {
  checkLogits(logits, labels);
  if (logits.length === 0) throw new RangeError('no logits to fit a temperature on');
  const f = (logT: number) => meanNll(logits, labels, Math.exp(logT));
  let lo = Math.log(TEMPERATURE_RANGE[0]);
  let hi = Math.log(TEMPERATURE_RANGE[1]);
  const inv = (Math.sqrt(5) - 1) / 2;
  let a = hi - inv * (hi - lo);
  let b = lo + inv * (hi - lo);
  let fa = f(a);
  let fb = f(b);
  // The bracket shrinks by 0.618 a step: 60 steps take log T's 6-wide range below 1e-11.
  for (let step = 0; step < 60; step++) {
    if (fa <= fb) {
      hi = b;
      b = a;
      fb = fa;
      a = hi - inv * (hi - lo);
      fa = f(a);
    } else {
      lo = a;
      a = b;
      fa = fb;
      b = lo + inv * (hi - lo);
      fb = f(b);
    }
  }
  const nllBefore = f(0);
  let best = { logT: (lo + hi) / 2, nll: f((lo + hi) / 2) };
  for (const logT of [Math.log(TEMPERATURE_RANGE[0]), Math.log(TEMPERATURE_RANGE[1]), 0]) {
    const nll = logT === 0 ? nllBefore : f(logT);
    if (nll < best.nll) best = { logT, nll };
  }
  return { temperature: Math.exp(best.logT), nllBefore, nllAfter: best.nll };
}

function checkLogits(logits: readonly (readonly number[])[], labels: readonly number[]): void {
  if (logits.length !== labels.length) throw new RangeError('logits and labels differ in length');
  const c = logits[0]?.length ?? 0;
  logits.forEach((row, i) => {
    if (row.length !== c || c === 0) throw new RangeError(`logits row ${i} has ${row.length} classes, not ${c}`);
    if (!row.every(Number.isFinite)) throw new RangeError(`logits row ${i} is not finite`);
    const label = labels[i]!;
    if (!Number.isInteger(label) || label < 0 || label >= c) throw new RangeError(`label ${label} at ${i} is not a class index`);
  });
}
