// Messages between the main thread (TrainingEngine) and the engine worker. Plain data only: typed arrays
// travel as transferables. The main thread keeps at most one request in flight and queues the rest itself,
// so cancelling queued chunks is decided on the main thread, by message order alone.
import type { AdamWConfig } from '../optim/adamw';
import type { ModelConfig } from '../models/mavit';
import type { ExecutionProvider } from './session';

export type StateInit =
  | { kind: 'seed'; seed: number }
  /** Parameter values (e.g. imported pretrained weights, issue 4); missing names fall back to the seeded init. */
  | { kind: 'params'; params: Record<string, Float32Array>; seed: number }
  | { kind: 'checkpoint'; path: string };

export interface EngineInit {
  model: ModelConfig;
  batchSize: number;
  /** Mini-batches per train chunk (one Loop, one session.run). */
  stepsPerChunk: number;
  /** Per-class loss weights w[c]; loss = −(1/N) Σ_j w[y_j] log p[y_j]. All ones = plain cross-entropy. */
  classWeights: number[];
  /** One weight decay for every parameter, as the paper's recipe and torch.optim.AdamW(model.parameters()) have it. */
  adamw?: Partial<Omit<AdamWConfig, 'weightDecay'>> & { weightDecay?: number };
  /** Exact names of parameters to freeze (no gradient, no update). */
  frozen?: string[];
  init: StateInit;
  /** Execution providers to try in order; default CUDA then CPU. */
  providers?: ExecutionProvider[];
  intraOpThreads?: number;
  /** Batch size of the evaluation graph (default batchSize). */
  evalBatchSize?: number;
}

export interface ChunkData {
  /** [K, B, 3, H, W] float32, row-major. */
  images: Float32Array;
  /** [K, B] class indices. */
  labels: Int32Array;
  /** [K, slots, B] 0/1 DropPath keep masks drawn by the host; omitted = keep everything. */
  dropMasks?: Float32Array;
  /** [K] learning rate per step. */
  lrs: Float32Array;
}

export interface ChunkResult {
  /** Step count after the chunk. */
  step: number;
  losses: Float32Array;
  correct: Float32Array;
  /** Milliseconds spent in session.run. */
  runMs: number;
}

export interface EngineReady {
  provider: ExecutionProvider;
  skipped: { provider: ExecutionProvider; reason: string }[];
  step: number;
  trainable: string[];
  frozen: string[];
  dropPathSlots: number;
}

export interface StateSnapshot {
  step: number;
  params: Record<string, Float32Array>;
  m: Record<string, Float32Array>;
  v: Record<string, Float32Array>;
}

export type ToWorker =
  | { type: 'init'; id: number; init: EngineInit }
  | { type: 'train'; id: number; chunk: ChunkData }
  | { type: 'evaluate'; id: number; images: Float32Array; count: number }
  | { type: 'checkpoint'; id: number; path: string; meta: Record<string, unknown> }
  | { type: 'getState'; id: number }
  | { type: 'close'; id: number };

export type FromWorker =
  | { type: 'ready'; id: number; ready: EngineReady }
  | { type: 'trained'; id: number; result: ChunkResult }
  | { type: 'evaluated'; id: number; logits: Float32Array; spatialAttention: Float32Array | null }
  | { type: 'checkpointed'; id: number; step: number }
  | { type: 'state'; id: number; state: StateSnapshot }
  | { type: 'error'; id: number; message: string }
  | { type: 'closed'; id: number };
