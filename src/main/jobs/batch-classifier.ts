// What classification, evaluation and attention maps need from a model, shared by the jobs that consume it
// (classify, evaluate) and the one that provides it (inference/OnnxClassifier), so neither imports the other.
import type { ModelRecord } from '../catalogue';
import type { PreprocessSpec } from '../images/preprocess';
import { DIHEDRAL_GROUP, writeDihedralChw } from '../images/dihedral';

/** What the classify job needs from a model: its classes and input, and batched probabilities. */
export interface BatchClassifier {
  readonly modelId: string;
  readonly classes: readonly string[];
  readonly preprocessing: PreprocessSpec;
  /** Largest batch one call accepts. */
  readonly maxBatch: number;
  /** Calls that can run at once (e.g. one per inference worker); default 1. */
  readonly concurrency?: number;
  /** `images` holds `count` images [3, S, S]; returns count × C probabilities. */
  classify(images: Float32Array, count: number): Promise<Float32Array>;
  /** How the model is recorded in a catalogue that receives its predictions. */
  catalogueRecord(): Omit<ModelRecord, 'createdAt'>;
}

/** The views test-time augmentation averages over: the training augmentation's group, all 8 of it. */
export const TTA_VIEWS = DIHEDRAL_GROUP;

/**
 * Test-time augmentation: the same model, whose probabilities for an image are the mean of its probabilities
 * for the image's 8 flips and quarter turns (TTA_VIEWS). Predictions stay the model's (same id and record).
 *
 * The views are made on the host and batched through the model's own sessions, not built into its graph.
 * Both run the model on 8 images per photo; they differ only in where the views are made. Measured by
 * `npm run bench -- classify-tta-graph` (MA-ViT-Ti 224 batch 8, one session of 2 threads each, 12 interleaved
 * rounds of 6 photos; the graph version is the model file with Slice/Transpose/Concat in front and a
 * ReduceMean behind, and its means agree with these to 1e-8) on this 2-core box, shared (load 8 to 11), twice:
 * medians batched 747 and 364 ms per photo, in the graph 779 and 462; batched faster in 7 of 12 rounds both
 * times. The host's 8 views cost 16 to 25 ms per photo of that. No gain, then, to pay for a rewritten model
 * file (models trained elsewhere included, and only possible for a model whose batch is 8).
 */
export function withTestTimeAugmentation(classifier: BatchClassifier): BatchClassifier {
  const views = TTA_VIEWS.length;
  const size = classifier.preprocessing.size;
  const perImage = 3 * size * size;
  const c = classifier.classes.length;
  return {
    modelId: classifier.modelId,
    classes: classifier.classes,
    preprocessing: classifier.preprocessing,
    // One call fills one of the model's batches with views (8 photos' views would be 8 batches, 38 MB of input
    // for an exported model's batch of 8): the callers keep one call per worker in flight, so both workers stay
    // busy, and a cancel waits for one model batch per worker, not eight. Throughput is the same: 1.38 against
    // 1.33 photos/s for eight photos per call (medians of 5 interleaved rounds of 16 photos, MA-ViT-Ti, two
    // workers, box under load 13-16).
    maxBatch: Math.max(1, Math.floor(classifier.maxBatch / views)),
    ...(classifier.concurrency !== undefined ? { concurrency: classifier.concurrency } : {}),
    catalogueRecord: () => classifier.catalogueRecord(),
    async classify(images: Float32Array, count: number): Promise<Float32Array> {
      // View-major: the i-th photo's v-th view at v·count + i, so each model batch holds one view of several photos.
      const expanded = new Float32Array(views * count * perImage);
      TTA_VIEWS.forEach((view, v) => {
        for (let i = 0; i < count; i++) writeDihedralChw(images, i * perImage, size, 3, view, expanded, (v * count + i) * perImage);
      });
      const perView = await classifier.classify(expanded, views * count);
      const mean = new Float32Array(count * c);
      for (let v = 0; v < views; v++) for (let j = 0; j < count * c; j++) mean[j]! += perView[v * count * c + j]! / views;
      return mean;
    },
  };
}
