// Messages between the main thread (OnnxClassifier) and the inference worker. Typed arrays are transferred.
import type { ExecutionProvider } from '../../engine';

export type ToInferenceWorker =
  | {
      type: 'init';
      modelPath: string;
      /** The model's input and output names, from its metadata (read once by the classifier). */
      names: { input: string; probabilities: string; attention: string | null };
      providers?: ExecutionProvider[];
      intraOpThreads?: number;
    }
  /** `attention`: whether to return the attention map (when the model has one). */
  | { type: 'run'; id: number; images: Float32Array; dims: number[]; attention: boolean }
  /** Finish the run in progress, release the session and exit (see OnnxClassifier.close). */
  | { type: 'close' };

export type FromInferenceWorker =
  | { type: 'ready'; provider: ExecutionProvider; skipped: { provider: ExecutionProvider; reason: string }[] }
  /** `images` is the run's input buffer, handed back for the next batch. */
  | { type: 'result'; id: number; probabilities: Float32Array; attention: Float32Array | null; images: Float32Array }
  | { type: 'error'; id: number | null; message: string };
