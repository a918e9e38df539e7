// Classification metrics from a confusion matrix (rows = true class, columns = predicted class), with their
// 95% intervals (shared/intervals.ts).
import type { ReliabilityBin } from './calibration';
import { bootstrapMacroF1Interval, wilsonInterval, type BootstrapOptions, type Interval } from './intervals';

export interface PerClassMetrics {
  class: string;
  precision: number;
  recall: number;
  f1: number;
  support: number;
  /**
   * 95% Wilson intervals of precision (over the photos predicted as the class) and recall (over its support).
   * Optional only because reports stored by an older Orelab (a training checkpoint) lack them.
   */
  precision_ci?: Interval;
  recall_ci?: Interval;
}

export interface ClassificationReport {
  classes: string[];
  accuracy: number;
  macro_f1: number;
  per_class: PerClassMetrics[];
  /** confusion[true][predicted] */
  confusion: number[][];
  /** 95% Wilson interval of the accuracy (optional as per_class's intervals are). */
  accuracy_ci?: Interval;
  /**
   * 95% percentile bootstrap interval of macro F1, over the photos (or their groups). Only a report built
   * from the photos themselves has it: a confusion matrix alone cannot say which photos belong together.
   */
  macro_f1_ci?: Interval;
  /**
   * Expected calibration error of the predicted class's confidence, over ECE_BINS equal-width bins, and those
   * bins (shared/calibration.ts). Only a report built where the probabilities are known has them (an evaluation);
   * a confusion matrix, or a report stored by an older Orelab, does not.
   */
  ece?: number;
  reliability?: ReliabilityBin[];
}

/** How classificationReport computes its macro F1 interval (groups: a group id per photo, resampled whole). */
export type ReportOptions = BootstrapOptions;

export function confusionMatrix(classCount: number, truth: readonly number[], predicted: readonly number[]): number[][] {
  if (truth.length !== predicted.length) throw new RangeError('truth and predicted differ in length');
  const m = Array.from({ length: classCount }, () => new Array<number>(classCount).fill(0));
  for (let i = 0; i < truth.length; i++) {
    const t = truth[i]!;
    const p = predicted[i]!;
    if (t < 0 || t >= classCount || p < 0 || p >= classCount) throw new RangeError(`class index out of range at ${i}`);
    m[t]![p]! += 1;
  }
  return m;
}

/** Precision, recall and F1 per class; 0 where undefined (no predictions or no support). */
export function reportFromConfusion(classes: readonly string[], confusion: readonly (readonly number[])[]): ClassificationReport & { accuracy_ci: Interval } {
  const c = classes.length;
  let correct = 0;
  let total = 0;
  const perClass: PerClassMetrics[] = [];
  for (let i = 0; i < c; i++) {
    const row = confusion[i]!;
    const support = row.reduce((a, b) => a + b, 0);
    let predictedAsI = 0;
    for (let r = 0; r < c; r++) predictedAsI += confusion[r]![i]!;
    const tp = row[i]!;
    correct += tp;
    total += support;
    const precision = predictedAsI > 0 ? tp / predictedAsI : 0;
    const recall = support > 0 ? tp / support : 0;
    const f1 = precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0;
    perClass.push({ class: classes[i]!, precision, recall, f1, support, precision_ci: wilsonInterval(tp, predictedAsI), recall_ci: wilsonInterval(tp, support) });
  }
  // Macro F1 as scikit-learn's f1_score(average='macro') defines it by default: over the classes that occur
  // in the truth or in the predictions. A class predicted for photos that have none (a false-positive sink)
  // counts with its F1 of 0; a class that occurs in neither says nothing about this set and is left out.
  const present = perClass.filter((p, i) => p.support > 0 || confusion.some((row) => row[i]! > 0));
  const macroF1 = present.length > 0 ? present.reduce((a, p) => a + p.f1, 0) / present.length : 0;
  return {
    classes: [...classes],
    accuracy: total > 0 ? correct / total : 0,
    macro_f1: macroF1,
    per_class: perClass,
    confusion: confusion.map((r) => [...r]),
    accuracy_ci: wilsonInterval(correct, total),
  };
}

/** A report built from per-photo predictions: it has both overall intervals. */
export type ClassificationReportWithIntervals = ClassificationReport & { accuracy_ci: Interval; macro_f1_ci: Interval };

/** The report of per-photo predictions, with every interval (see ClassificationReport). */
export function classificationReport(classes: readonly string[], truth: readonly number[], predicted: readonly number[], options: ReportOptions = {}): ClassificationReportWithIntervals {
  const report = reportFromConfusion(classes, confusionMatrix(classes.length, truth, predicted));
  return { ...report, macro_f1_ci: bootstrapMacroF1Interval(classes.length, truth, predicted, options) };
}

export function argmax(values: ArrayLike<number>, offset = 0, length = values.length - offset): number {
  let best = 0;
  let bestValue = -Infinity;
  for (let i = 0; i < length; i++) {
    const v = values[offset + i]!;
    if (v > bestValue) {
      bestValue = v;
      best = i;
    }
  }
  return best;
}

/** Numerically stable softmax of one row. */
export function softmax(logits: ArrayLike<number>, offset = 0, length = logits.length - offset): number[] {
  let max = -Infinity;
  for (let i = 0; i < length; i++) max = Math.max(max, logits[offset + i]!);
  const out = new Array<number>(length);
  let sum = 0;
  for (let i = 0; i < length; i++) {
    const e = Math.exp(logits[offset + i]! - max);
    out[i] = e;
    sum += e;
  }
  for (let i = 0; i < length; i++) out[i]! /= sum;
  return out;
}
