import type { InputError, Split } from '../../shared/domain';
import { calibrationOfPredictions } from '../../shared/calibration';
import { argmax, classificationReport, type ClassificationReport } from '../../shared/metrics';
import { labeledSplitSpecimens, photoGroups, putPrediction, registerModel, type Db } from '../catalogue';
import { PreprocessCache, cacheDirForCatalogue } from '../images/preprocess';
import { loadBatch, prefetched, warmCache, type Batch, type DataItem } from './cached-batches';
import { withTestTimeAugmentation, type BatchClassifier } from './batch-classifier';

export interface EvaluateOptions {
  /** Test-time augmentation: average the probabilities of each photo's 8 flips and quarter turns. */
  tta?: boolean;
  /** Each specimen's photo group: the macro F1 interval then resamples whole groups (photos of one rock are one piece of evidence). */
  groupOf?: ReadonlyMap<number, number>;
  signal?: AbortSignal;
  onProgress?: (done: number, total: number) => void;
}

/** One scored photo: its label and the model's probabilities (in the model's class order). */
export interface ScoredItem {
  specimenId: number;
  /** The label, as an index into the model's classes. */
  classIndex: number;
  probabilities: number[];
}

export interface ItemsEvaluation {
  /** Over the scored items. */
  report: ClassificationReport;
  /** In the items' order; unreadable items (in `errors`) and, when cancelled, the ones not reached are absent. */
  scored: ScoredItem[];
  errors: InputError[];
  /** True when cancelled before every readable item was scored: the report then covers only `scored`. */
  partial: boolean;
  /** Items given, unreadable ones included. */
  total: number;
}

/**
 * Scores a model on catalogued photos whose labels are known (a split, a held-out fold): catalogue order, no
 * augmentation unless `tta`, one batch per inference worker in flight. `onScored` receives every batch's
 * results in order as soon as they are known (to record them as it goes, so a cancel keeps what was scored).
 */
export async function evaluateItems(
  cataloguePath: string,
  classifier: BatchClassifier,
  items: readonly DataItem[],
  options: EvaluateOptions & { onScored?: (batch: readonly ScoredItem[]) => void } = {},
): Promise<ItemsEvaluation> {
  const model = options.tta ? withTestTimeAugmentation(classifier) : classifier;
  const cache = new PreprocessCache(cacheDirForCatalogue(cataloguePath), model.preprocessing);
  const { usable, errors } = await warmCache(cache, items, options.signal ? { signal: options.signal } : {});
  const scored: ScoredItem[] = [];
  const c = model.classes.length;
  const record = (batch: Batch, probabilities: Float32Array) => {
    const results = batch.specimenIds.map((specimenId, i) => ({ specimenId, classIndex: batch.labels[i]!, probabilities: Array.from(probabilities.subarray(i * c, (i + 1) * c)) }));
    options.onScored?.(results);
    scored.push(...results);
    options.onProgress?.(scored.length, usable.length);
  };
  // One batch per inference worker in flight; results are recorded in order.
  const inflight: { batch: Batch; probabilities: Promise<Float32Array> }[] = [];
  const plan: DataItem[][] = [];
  for (let i = 0; i < usable.length; i += model.maxBatch) plan.push(usable.slice(i, i + model.maxBatch));
  for await (const batch of prefetched(plan, (items) => loadBatch(cache, model.preprocessing, items))) {
    if (options.signal?.aborted) break;
    const probabilities = model.classify(batch.images, batch.labels.length);
    // Awaited in order below; this only keeps a failed batch behind the awaited one from counting as unhandled.
    probabilities.catch(() => undefined);
    inflight.push({ batch, probabilities });
    if (inflight.length >= Math.max(1, model.concurrency ?? 1)) {
      const oldest = inflight.shift()!;
      record(oldest.batch, await oldest.probabilities);
    }
  }
  for (const pending of inflight) record(pending.batch, await pending.probabilities);
  // Counted, not inferred from the signal: a cancel that lands after the last batch leaves a whole result, and
  // warmCache stops early on a cancel too (its usable list is then short, not the items).
  const partial = usable.length + errors.length < items.length || scored.length < usable.length;
  const truth = scored.map((s) => s.classIndex);
  const predicted = scored.map((s) => argmax(s.probabilities));
  const report = {
    ...classificationReport(model.classes, truth, predicted, options.groupOf ? { groups: scored.map((s) => options.groupOf!.get(s.specimenId) ?? s.specimenId) } : {}),
    ...calibrationOfPredictions(truth, predicted, scored.map((s, i) => s.probabilities[predicted[i]!]!)),
  };
  return { report, scored, errors, partial, total: items.length };
}

export interface SplitEvaluation {
  report: ClassificationReport;
  /** Specimens of the split whose label is not one of the model's classes: not scored. */
  unknownLabels: number;
  errors: InputError[];
  /**
   * True when the evaluation was cancelled before every photo of the split was scored: the report then
   * covers only `scored` of `total` photos and must not be shown as the split's metrics.
   */
  partial: boolean;
  /** Photos scored (and recorded). */
  scored: number;
  /** Photos of the split with a known label, unreadable ones included. */
  total: number;
}

/**
 * Scores a model on a catalogue split (labels from the catalogue), and records every prediction, with its
 * probabilities and loss, against its specimen. The predictions table holds one prediction per model and
 * specimen: a run with `tta` replaces the plain ones (and the other way round).
 */
export async function evaluateCatalogueSplit(db: Db, cataloguePath: string, classifier: BatchClassifier, split: Split, options: EvaluateOptions = {}): Promise<SplitEvaluation> {
  const index = new Map(classifier.classes.map((c, i) => [c.toLowerCase(), i]));
  const items: DataItem[] = [];
  let unknownLabels = 0;
  for (const r of labeledSplitSpecimens(db, split)) {
    const classIndex = index.get(r.class.toLowerCase());
    if (classIndex === undefined) unknownLabels++;
    else items.push({ specimenId: r.id, sha256: r.sha256, path: r.path, classIndex });
  }
  registerModel(db, classifier.catalogueRecord());
  const recordBatch = db.transaction((batch: readonly ScoredItem[]) => {
    for (const { specimenId, classIndex, probabilities } of batch) {
      const best = argmax(probabilities);
      putPrediction(db, classifier.modelId, {
        specimenId,
        predictedClass: classifier.classes[best]!,
        confidence: probabilities[best]!,
        probabilities,
        loss: -Math.log(Math.max(probabilities[classIndex]!, 1e-12)),
        tta: options.tta ?? false,
      });
    }
  });
  const r = await evaluateItems(cataloguePath, classifier, items, { ...options, groupOf: photoGroups(db).groupOf, onScored: (batch) => recordBatch(batch) });
  return { report: r.report, unknownLabels, errors: r.errors, partial: r.partial, scored: r.scored.length, total: r.total };
}
