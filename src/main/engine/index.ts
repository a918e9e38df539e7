// The engine's public API: everything the training job, the model export, the classifier, the CLI, the
// desktop app, the benches and the tests use. Code outside src/main/engine imports from here; the modules
// behind it may move. Importing this module also registers the built-in architectures (vit, mavit).

// Runtime: the worker-backed training engine, sessions, checkpoints.
export { TrainingEngine, EngineCancelledError, EngineError } from './runtime/engine';
export { EngineCore } from './runtime/trainer';
export type { EngineInit, EngineReady, ChunkData, ChunkResult, StateInit, StateSnapshot } from './runtime/protocol';
export { createSession, cudaUnavailableReason, ort, CUDA_INSTALL_HINT, type ExecutionProvider, type CreatedSession, type SessionOptions } from './runtime/session';
export { saveCheckpoint, loadCheckpoint, CheckpointError, type TrainState, type CheckpointMeta } from './runtime/checkpoint';

// Models: the architecture registry and its built-in entries.
export {
  registerArchitecture,
  getArchitecture,
  listArchitectures,
  lookupPreset,
  ModelRegistryError,
  type Architecture,
  type ArchitectureConfig,
  type ArchitectureFactory,
  type DefinedNetwork,
  type WeightsAdapter,
} from './models/registry';
export { vitArchitecture, mavitArchitecture, type VitModelConfig, type MavitModelConfig, type VitOverrides, type MavitOverrides } from './models/architectures';
export { defineModel, presetModel, type ModelConfig } from './models/mavit';
export {
  vitConfig,
  vitInferenceFeatures,
  vitConfigFromPreset,
  vitParams,
  vitParamNames,
  declareVit,
  vitDropPathRates,
  vitForwardFlops,
  VIT_PRESETS,
  VIT_HEAD_SCOPE,
  type VitConfig,
  type VitPreset,
  type VitPresetSpec,
  type VitParams,
  type VitBlockParams,
  type WeightAndBias,
} from './models/vit';
export { cbamParams, declareCbam, cbamForwardFlops, DEFAULT_CBAM, CBAM_SCOPE, type CbamConfig, type CbamGate, type CbamParams } from './models/cbam';
export {
  initParams,
  paramCount,
  paramTensor,
  requireParam,
  ParamTable,
  type ModelDefinition,
  type ParamSpec,
  type ParamInit,
  type ParamValues,
  type ForwardContext,
  type ForwardOutputs,
} from './models/model';
export { forwardFlopsPerImage, trainingFlopsPerImage } from './models/flops';

// Pretrained weights: file readers, the ViT adapter (also as the registry entries' `weights`), fitting.
export { readSafetensors, writeSafetensors } from './pretrained/safetensors';
export { readNpz } from './pretrained/npz';
export { WeightsFileError, type HostTensor, type TensorMap } from './pretrained/tensor-file';
export { toTimmVit } from './pretrained/vit-names';
export { convertVitWeights, vitWeightsAdapter, type WeightsLayout } from './models/vit-weights';
export { fitPretrained } from './pretrained/fit';
export { fitWeights, resamplePositionEmbedding, type ConvertedWeights, type FitRules, type ParameterShape, type PretrainedFit } from './pretrained/match';

// Graphs: training chunk, forward/inference export, optimizer, schedule.
export { buildTrainChunk, buildLossAndGradientGraph, chunkNames, type TrainChunkGraph, type TrainChunkOptions } from './train/chunk';
export { buildForwardGraph, exportInferenceModel, forwardNames, type ForwardGraphOptions } from './export/forward';
export { quantizeModel, quantizeWeight, QuantizeError, FLOAT_KEPT_PARAMS, type QuantizeOptions, type QuantizedModel } from './export/quantize';
export { buildEmbeddingGraph, classifierEmbeddingSource, pretrainedEmbeddingSource, embeddingNames, EmbeddingModelError, type EmbeddingSource } from './export/embedding';
export { cosineLr, cosineLrs, type CosineSchedule } from './optim/schedule';
export { DEFAULT_ADAMW, decayMatricesOnly, type AdamWConfig } from './optim/adamw';

// Building blocks: graph builder, ops (as the `op` namespace), autodiff.
export { GraphBuilder, GraphBuilderError, type Tensor } from './graph/builder';
export type { DType } from './graph/dtype';
export { encodeModel, readModelMetadata, OPSET, IR_VERSION } from './graph/encode';
export * as op from './ops/index';
export { registerOp, registeredOps, OpRegistryError, type OpDef, type GradientRule, type GradientContext } from './ops/registry';
export { backward, AutodiffError } from './autodiff/backward';
export { Rng } from './graph/random';
