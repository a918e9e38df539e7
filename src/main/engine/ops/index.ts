// The primitive ops that model code builds graphs from. Importing this module registers all of them.
export { add, sub, mul, div, scale } from './arithmetic';
export { sigmoid, relu, gelu } from './activations';
export { matmul, gemm, linear } from './linear';
export { reshape, transpose, expand, concat, slice, split, gather, type SliceAttrs } from './shape';
export { softmax, layerNorm } from './normalization';
export { reduceSum, reduceMean, reduceMax, globalAvgPool, globalMaxPool } from './reduce';
export { conv2d } from './conv';
export { dropPath, weightedCrossEntropy, argMax, equal, castTo } from './training';
export { registerOp, registeredOps, getOp, OpRegistryError, type OpDef, type GradientRule, type GradientContext } from './registry';
