// The CSV reports of a classification, shared by `orelab classify` (written as it goes) and
// `orelab export` (written from the catalogue). Column lists are documented in the README.
import type { ClassificationReport } from '../../../shared/metrics';
import type { InputError } from '../../../shared/domain';
import type { CsvValue } from './csv';

export interface PredictionRecord {
  path: string;
  sha256: string;
  /** Probabilities in the model's class order. */
  probabilities: readonly number[];
  /** The class the file's folder (or the catalogue) says, when known. */
  label: string | null;
  sortedTo: string | null;
  review: boolean;
  modelId: string;
  time: string;
}

export function topK(probabilities: readonly number[], k: number): number[] {
  return probabilities
    .map((p, i) => [p, i] as const)
    .sort((a, b) => b[0] - a[0] || a[1] - b[1])
    .slice(0, k)
    .map(([, i]) => i);
}

/** With `tta`, a last column `tta` ("yes" on every row) says that the probabilities are test-time augmented. */
export function predictionHeader(classes: readonly string[], tta = false): string[] {
  return ['path', 'sha256', 'predicted', 'confidence', 'top3', ...classes.map((c) => `p_${c}`), 'label', 'review', 'sorted_to', 'model_id', 'time', ...(tta ? ['tta'] : [])];
}

const round = (p: number) => Math.round(p * 1e6) / 1e6;

export function predictionRow(classes: readonly string[], r: PredictionRecord, tta = false): CsvValue[] {
  const top = topK(r.probabilities, 3);
  const best = top[0]!;
  return [
    r.path,
    r.sha256,
    classes[best]!,
    round(r.probabilities[best]!),
    top.map((i) => `${classes[i]}:${round(r.probabilities[i]!)}`).join(' '),
    ...r.probabilities.map(round),
    r.label,
    r.review ? 'yes' : 'no',
    r.sortedTo,
    r.modelId,
    r.time,
    ...(tta ? ['yes'] : []),
  ];
}

export const METRICS_HEADER = ['class', 'support', 'precision', 'recall', 'f1'];

export function metricsRows(report: ClassificationReport): CsvValue[][] {
  const rows: CsvValue[][] = report.per_class.map((c) => [c.class, c.support, round(c.precision), round(c.recall), round(c.f1)]);
  const present = report.per_class.filter((c) => c.support > 0);
  const support = present.reduce((a, c) => a + c.support, 0);
  const mean = (f: (c: (typeof present)[number]) => number) => (present.length ? present.reduce((a, c) => a + f(c), 0) / present.length : 0);
  // Micro-averaged precision, recall and F1 all equal the accuracy for single-label classification.
  rows.push(
    ['(macro average)', support, round(mean((c) => c.precision)), round(mean((c) => c.recall)), round(report.macro_f1)],
    ['(micro average = accuracy)', support, round(report.accuracy), round(report.accuracy), round(report.accuracy)],
  );
  return rows;
}

/** Rows are true classes, columns predicted classes. */
export function confusionHeader(classes: readonly string[]): string[] {
  return ['true \\ predicted', ...classes];
}

export function confusionRows(report: ClassificationReport): CsvValue[][] {
  return report.classes.map((c, i) => [c, ...report.confusion[i]!]);
}

export const ERRORS_HEADER = ['path', 'reason'];

export function errorRows(errors: readonly InputError[]): CsvValue[][] {
  return errors.map((e) => [e.path, e.reason]);
}

/** The sibling files of a predictions CSV: report.csv → report.metrics.csv, report.confusion.csv, report.errors.csv. */
export function reportFiles(predictionsCsv: string): { predictions: string; metrics: string; confusion: string; errors: string } {
  const stem = predictionsCsv.replace(/\.csv$/i, '');
  return { predictions: predictionsCsv, metrics: `${stem}.metrics.csv`, confusion: `${stem}.confusion.csv`, errors: `${stem}.errors.csv` };
}
