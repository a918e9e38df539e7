// What classification, evaluation and attention maps need from a model, shared by the jobs that consume it
// (classify, evaluate) and the one that provides it (inference/OnnxClassifier), so neither imports the other.
import type { ModelRecord } from '../catalogue';
import type { PreprocessSpec } from '../images/preprocess';

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
