import type { InputError, Split } from '../../shared/domain';
import { argmax, classificationReport, type ClassificationReport } from '../../shared/metrics';
import { labeledSplitSpecimens, putPrediction, registerModel, type Db } from '../catalogue';
import { PreprocessCache, cacheDirForCatalogue } from '../images/preprocess';
import { loadBatch, prefetched, warmCache, type Batch, type DataItem } from './cached-batches';
import type { BatchClassifier } from './batch-classifier';

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
 * probabilities and loss, against its specimen.
 */
export async function evaluateCatalogueSplit(
  db: Db,
  cataloguePath: string,
  classifier: BatchClassifier,
  split: Split,
  options: { signal?: AbortSignal; onProgress?: (done: number, total: number) => void } = {},
): Promise<SplitEvaluation> {
  const index = new Map(classifier.classes.map((c, i) => [c.toLowerCase(), i]));
  const rows = labeledSplitSpecimens(db, split);
  const items: DataItem[] = [];
  let unknownLabels = 0;
  for (const r of rows) {
    const classIndex = index.get(r.class.toLowerCase());
    if (classIndex === undefined) unknownLabels++;
    else items.push({ specimenId: r.id, sha256: r.sha256, path: r.path, classIndex });
  }
  const cache = new PreprocessCache(cacheDirForCatalogue(cataloguePath), classifier.preprocessing);
  const { usable, errors } = await warmCache(cache, items, options.signal ? { signal: options.signal } : {});
  registerModel(db, classifier.catalogueRecord());
  const truth: number[] = [];
  const predicted: number[] = [];
  const c = classifier.classes.length;
  const record = (batch: Batch, probabilities: Float32Array) => {
    db.transaction(() => {
      batch.specimenIds.forEach((specimenId, i) => {
        const probs = Array.from(probabilities.subarray(i * c, (i + 1) * c));
        const best = argmax(probs);
        const y = batch.labels[i]!;
        truth.push(y);
        predicted.push(best);
        putPrediction(db, classifier.modelId, {
          specimenId,
          predictedClass: classifier.classes[best]!,
          confidence: probs[best]!,
          probabilities: probs,
          loss: -Math.log(Math.max(probs[y]!, 1e-12)),
        });
      });
    })();
    options.onProgress?.(truth.length, usable.length);
  };
  // One batch per inference worker in flight; results are recorded in order.
  const inflight: { batch: Batch; probabilities: Promise<Float32Array> }[] = [];
  // Catalogue order, no augmentation, a short last batch.
  const plan: DataItem[][] = [];
  for (let i = 0; i < usable.length; i += classifier.maxBatch) plan.push(usable.slice(i, i + classifier.maxBatch));
  for await (const batch of prefetched(plan, (items) => loadBatch(cache, classifier.preprocessing, items))) {
    if (options.signal?.aborted) break;
    const probabilities = classifier.classify(batch.images, batch.labels.length);
    // Awaited in order below; this only keeps a failed batch behind the awaited one from counting as unhandled.
    probabilities.catch(() => undefined);
    inflight.push({ batch, probabilities });
    if (inflight.length >= Math.max(1, classifier.concurrency ?? 1)) {
      const oldest = inflight.shift()!;
      record(oldest.batch, await oldest.probabilities);
    }
  }
  for (const pending of inflight) record(pending.batch, await pending.probabilities);
  // Counted, not inferred from the signal: a cancel that lands after the last batch leaves a whole result, and
  // warmCache stops early on a cancel too (its usable list is then short, not the split).
  const partial = usable.length + errors.length < items.length || truth.length < usable.length;
  return { report: classificationReport(classifier.classes, truth, predicted), unknownLabels, errors, partial, scored: truth.length, total: items.length };
}
