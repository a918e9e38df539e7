// The uncertainty of a report's figures: 95% Wilson score intervals for proportions (accuracy, precision,
// recall), percentile bootstrap intervals for macro F1 and for the paired difference of two models, and
// McNemar's exact test on the photos two models disagree on. Pure and cheap: training calls the bootstrap
// at every epoch, so a resample is a few typed-array passes with no allocation.
import { mulberry32 } from './random';

/** [lower, upper] bounds of a 95% interval. */
export type Interval = [number, number];

/** The standard normal quantile of 0.975: a 95% two-sided interval. */
const Z95 = 1.959963984540054;

export const BOOTSTRAP_RESAMPLES = 1000;
/** Fixed, so that the same predictions always give the same interval (it was scripts/paired-test.ts's seed). */
export const BOOTSTRAP_SEED = 12345;

/**
 * The 95% Wilson score interval of a proportion of `successes` in `n` trials. Unlike p ± z·sqrt(p(1−p)/n) it
 * stays inside [0, 1] and is not empty at 0/n or n/n, which the small classes of a test split often give.
 * Nothing observed (n = 0) says nothing: [0, 1].
 */
export function wilsonInterval(successes: number, n: number): Interval {
  if (n === 0) return [0, 1];
  const p = successes / n;
  const z2 = Z95 * Z95;
  const denominator = 1 + z2 / n;
  const centre = (p + z2 / (2 * n)) / denominator;
  const halfWidth = (Z95 / denominator) * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n));
  // At 0/n and n/n the bound is exactly 0 or 1 on paper; rounding must not put it a hair outside or inside.
  return [successes === 0 ? 0 : Math.max(0, centre - halfWidth), successes === n ? 1 : Math.min(1, centre + halfWidth)];
}

/** What a bootstrap resamples: items one by one, or whole groups of items (the photos of one rock). */
export interface ResamplingUnits {
  /** The unit of every item, 0 … count − 1, numbered in order of first appearance. */
  unitOf: Int32Array;
  count: number;
}

/**
 * The units to resample: every item its own, or, given a group id per item, one unit per group. Resampling
 * groups whole (a cluster bootstrap) keeps near-identical photos of one rock from counting as independent
 * evidence.
 */
export function resamplingUnits(itemCount: number, groups?: readonly number[]): ResamplingUnits {
  const unitOf = new Int32Array(itemCount);
  if (!groups) {
    for (let i = 0; i < itemCount; i++) unitOf[i] = i;
    return { unitOf, count: itemCount };
  }
  if (groups.length !== itemCount) throw new RangeError(`${groups.length} group ids for ${itemCount} items`);
  const numbering = new Map<number, number>();
  for (let i = 0; i < itemCount; i++) {
    const g = groups[i]!;
    let unit = numbering.get(g);
    if (unit === undefined) {
      unit = numbering.size;
      numbering.set(g, unit);
    }
    unitOf[i] = unit;
  }
  return { unitOf, count: numbering.size };
}

export interface BootstrapOptions {
  /** A group id per item: whole groups are resampled. */
  groups?: readonly number[];
  resamples?: number;
  seed?: number;
}

/**
 * Calls `visit` once per resample with the weight of every item: how many times its unit was drawn (units
 * drawn uniformly with replacement, as many as there are, from mulberry32(seed)). The array is reused.
 */
function forEachResample(units: ResamplingUnits, resamples: number, seed: number, visit: (weights: Int32Array) => void): void {
  const random = mulberry32(seed);
  const drawn = new Int32Array(units.count);
  const weights = new Int32Array(units.unitOf.length);
  for (let r = 0; r < resamples; r++) {
    drawn.fill(0);
    for (let k = 0; k < units.count; k++) drawn[Math.floor(random() * units.count)]! += 1;
    for (let i = 0; i < weights.length; i++) weights[i] = drawn[units.unitOf[i]!]!;
    visit(weights);
  }
}

/**
 * The percentile interval of bootstrap values (sorted in place): the values at ranks ⌊0.025·R⌋ and
 * R − 1 − ⌊0.025·R⌋, e.g. the 26th smallest and the 26th largest of 1,000.
 */
export function percentileInterval(values: Float64Array): Interval {
  if (values.length === 0) return [0, 1];
  values.sort();
  const k = Math.floor(values.length * 0.025);
  return [values[k]!, values[values.length - 1 - k]!];
}

/** One model's predictions as typed arrays (monomorphic, fast reads in the resampling loops). */
interface Outcomes {
  truth: Int32Array;
  predicted: Int32Array;
  /** 1 where the prediction is right, else 0. */
  correct: Int32Array;
}

function outcomesOf(truth: ArrayLike<number>, predicted: ArrayLike<number>): Outcomes {
  if (predicted.length !== truth.length) throw new RangeError('truth and predicted differ in length');
  const t = Int32Array.from(truth);
  const p = Int32Array.from(predicted);
  return { truth: t, predicted: p, correct: t.map((x, i) => (x === p[i] ? 1 : 0)) };
}

/** Scratch counts per class for weighted metrics, allocated once per bootstrap. */
class ClassCounts {
  readonly truePositives: Float64Array;
  readonly support: Float64Array;
  readonly predicted: Float64Array;

  constructor(classCount: number) {
    this.truePositives = new Float64Array(classCount);
    this.support = new Float64Array(classCount);
    this.predicted = new Float64Array(classCount);
  }

  /**
   * Macro F1 of the items counted `weights` times each, as shared/metrics.ts defines it (scikit-learn's): the
   * mean F1 over the classes in the truth or the predictions. F1 = 2·TP / (support + predicted), which is
   * 2PR/(P+R) without its 0/0 cases.
   */
  macroF1(outcomes: Outcomes, weights: Int32Array): number {
    const { truePositives, support, predicted: predictedAs } = this;
    truePositives.fill(0);
    support.fill(0);
    predictedAs.fill(0);
    const { truth, predicted, correct } = outcomes;
    // Branch-free: an undrawn item adds 0, a wrong one adds 0 true positives (unpredictable branches cost more).
    for (let i = 0; i < weights.length; i++) {
      const w = weights[i]!;
      const t = truth[i]!;
      support[t]! += w;
      predictedAs[predicted[i]!]! += w;
      truePositives[t]! += w * correct[i]!;
    }
    let sum = 0;
    let present = 0;
    for (let c = 0; c < support.length; c++) {
      const denominator = support[c]! + predictedAs[c]!;
      if (denominator === 0) continue;
      sum += (2 * truePositives[c]!) / denominator;
      present++;
    }
    return present > 0 ? sum / present : 0;
  }
}

/** Accuracy of the items counted `weights` times each. */
function weightedAccuracy(outcomes: Outcomes, weights: Int32Array): number {
  let right = 0;
  let total = 0;
  for (let i = 0; i < weights.length; i++) {
    total += weights[i]!;
    right += weights[i]! * outcomes.correct[i]!;
  }
  return total > 0 ? right / total : 0;
}

/** The percentile bootstrap 95% interval of macro F1 (over groups when given). No items: [0, 1]. */
export function bootstrapMacroF1Interval(classCount: number, truth: ArrayLike<number>, predicted: ArrayLike<number>, options: BootstrapOptions = {}): Interval {
  const outcomes = outcomesOf(truth, predicted);
  const resamples = options.resamples ?? BOOTSTRAP_RESAMPLES;
  const units = resamplingUnits(truth.length, options.groups);
  if (units.count === 0) return [0, 1];
  const counts = new ClassCounts(classCount);
  const values = new Float64Array(resamples);
  let r = 0;
  forEachResample(units, resamples, options.seed ?? BOOTSTRAP_SEED, (weights) => {
    values[r++] = counts.macroF1(outcomes, weights);
  });
  return percentileInterval(values);
}

/** Paired bootstrap intervals of A − B: both models scored on the same resampled items. */
export interface PairedDifferenceIntervals {
  accuracy: Interval;
  macro_f1: Interval;
}

/**
 * 95% percentile intervals of accuracy(A) − accuracy(B) and macroF1(A) − macroF1(B), each resample scoring
 * both models on the same items (over groups when given): the pairing removes the variation the two share.
 */
export function pairedBootstrapIntervals(
  classCount: number,
  truth: ArrayLike<number>,
  predictedA: ArrayLike<number>,
  predictedB: ArrayLike<number>,
  options: BootstrapOptions = {},
): PairedDifferenceIntervals {
  const a = outcomesOf(truth, predictedA);
  const b = outcomesOf(truth, predictedB);
  const resamples = options.resamples ?? BOOTSTRAP_RESAMPLES;
  const units = resamplingUnits(truth.length, options.groups);
  if (units.count === 0) return { accuracy: [-1, 1], macro_f1: [-1, 1] };
  const counts = new ClassCounts(classCount);
  const accuracy = new Float64Array(resamples);
  const macroF1 = new Float64Array(resamples);
  let r = 0;
  forEachResample(units, resamples, options.seed ?? BOOTSTRAP_SEED, (weights) => {
    accuracy[r] = weightedAccuracy(a, weights) - weightedAccuracy(b, weights);
    macroF1[r] = counts.macroF1(a, weights) - counts.macroF1(b, weights);
    r++;
  });
  return { accuracy: percentileInterval(accuracy), macro_f1: percentileInterval(macroF1) };
}

/**
 * McNemar's exact two-sided test of two models on the same items: `b` items only A gets right, `c` only B.
 * Under "equally good" the b + c discordant items split as Binomial(b + c, 1/2); the p-value is twice the
 * smaller tail, at most 1. Terms are summed from logarithms, so a large b + c does not underflow 2^−n.
 */
export function mcnemarExactP(b: number, c: number): number {
  const n = b + c;
  if (n === 0) return 1;
  let logTerm = -n * Math.LN2; // log C(n, 0) / 2^n
  let tail = Math.exp(logTerm);
  for (let k = 1; k <= Math.min(b, c); k++) {
    logTerm += Math.log((n - k + 1) / k);
    tail += Math.exp(logTerm);
  }
  return Math.min(1, 2 * tail);
}
