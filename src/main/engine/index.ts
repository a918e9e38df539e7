// The engine's public API, for the training job, the classifier and the desktop app. Deeper modules may be
// imported directly too; these are the entry points that are kept stable.
export { TrainingEngine, EngineCancelledError, EngineError } from './runtime/engine';
export type { EngineInit, EngineReady, ChunkData, ChunkResult, StateInit, StateSnapshot } from './runtime/protocol';
export { createSession, cudaUnavailableReason, type ExecutionProvider, type CreatedSession, type SessionOptions } from './runtime/session';
export { saveCheckpoint, loadCheckpoint, CheckpointError, type TrainState, type CheckpointMeta } from './runtime/checkpoint';
export { defineModel, presetModel, type ModelConfig } from './models/mavit';
export { vitConfig, vitParams, vitDropPathRates, VIT_PRESETS, type VitConfig, type VitPreset } from './models/vit';
export { cbamParams, DEFAULT_CBAM, type CbamConfig, type CbamGate } from './models/cbam';
export { initParams, paramCount, type ModelDefinition, type ParamSpec, type ParamInit, type ParamValues, type ForwardContext, type ForwardOutputs } from './models/model';
export { forwardFlopsPerImage, trainingFlopsPerImage } from './models/flops';
export { buildTrainChunk, buildLossAndGradientGraph, chunkNames, type TrainChunkGraph, type TrainChunkOptions } from './train/chunk';
export { buildForwardGraph, exportInferenceModel, forwardNames, type ForwardGraphOptions } from './export/forward';
export { cosineLr, cosineLrs, type CosineSchedule } from './optim/schedule';
export { DEFAULT_ADAMW, decayMatricesOnly, type AdamWConfig } from './optim/adamw';
export { GraphBuilder, type Tensor } from './graph/builder';
export { encodeModel, readModelMetadata, OPSET, IR_VERSION } from './graph/encode';
export { backward, AutodiffError } from './autodiff/backward';
export { Rng } from './graph/random';
