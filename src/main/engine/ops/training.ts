// DropPath (stochastic depth, fed by a host-drawn mask) and the class-weighted softmax cross-entropy.
import { GraphBuilderError, type Tensor } from '../graph/builder';
import { binary, cast, oneHot, reduceRaw, reshapeRaw, unary } from './emit';
import { only, registerOp } from './registry';

const dropPathOp = registerOp<{ keepProb: number }>({
  name: 'DropPath',
  // y = x · mask[n] / keepProb per sample n. The mask is a 0/1 graph input drawn by the host, so a run is
  // reproducible and the ONNX graph holds no random op. Second output: the per-sample factor.
  emit: (_g, [x, mask], { keepProb }) => {
    const X = x!;
    const M = mask!;
    if (M.shape.length !== 1 || M.shape[0] !== X.shape[0]) throw new GraphBuilderError(`DropPath mask must be [${X.shape[0]}], got [${M.shape.join(', ')}]`);
    const factor = binary('Mul', reshapeRaw(M, [M.shape[0]!, ...X.shape.slice(1).map(() => 1)]), M.graph.scalar(1 / keepProb, M.dtype));
    return [binary('Mul', X, factor), factor];
  },
  gradient: ({ outputs: [, factor], dOutputs: [dy], needsGrad }) => {
    if (needsGrad[1]) throw new GraphBuilderError('the DropPath mask is not differentiable');
    return [binary('Mul', dy!, factor!), null];
  },
});

const weightedCrossEntropyOp = registerOp<Record<string, never>>({
  name: 'WeightedSoftmaxCrossEntropy',
  // loss = −(1/N) Σ_j w[y_j] · log softmax(z_j)[y_j]: normalised by the batch size N as in the MA-ViT paper,
  // not by Σ_j w[y_j] as PyTorch's cross_entropy(weight=…) does. Extra outputs: log-probabilities and w[y].
  emit: (g, [logits, labels, weights]) => {
    const Z = logits!;
    const [n, c] = Z.shape as [number, number];
    if (Z.shape.length !== 2 || labels!.shape.length !== 1 || labels!.shape[0] !== n || weights!.shape[0] !== c) {
      throw new GraphBuilderError('WeightedSoftmaxCrossEntropy needs logits [N, C], int64 labels [N] and weights [C]');
    }
    const logp = unary('LogSoftmax', Z, { axis: { i: 1 } });
    const wy = g.node1('Gather', [weights!, labels!], { dtype: Z.dtype, shape: [n], hint: 'classWeight' }, { axis: { i: 0 } });
    const perSample = reduceRaw('ReduceSum', binary('Mul', logp, oneHot(labels!, c, Z.dtype)), [1], false);
    const total = reduceRaw('ReduceSum', binary('Mul', perSample, wy), [0], false);
    return [binary('Mul', total, g.scalar(-1 / n, Z.dtype)), logp, wy];
  },
  // dz = (w[y]/N) · (softmax(z) − onehot(y)) · dloss
  gradient: ({ inputs: [logits, labels], outputs: [, logp, wy], dOutputs: [dloss], needsGrad }) => {
    if (needsGrad[1] || needsGrad[2]) throw new GraphBuilderError('WeightedSoftmaxCrossEntropy differentiates wrt the logits only');
    const Z = logits!;
    const [n, c] = Z.shape as [number, number];
    const diff = binary('Sub', unary('Exp', logp!), oneHot(labels!, c, Z.dtype));
    const rowScale = binary('Mul', reshapeRaw(wy!, [n, 1]), binary('Mul', dloss!, Z.graph.scalar(1 / n, Z.dtype)));
    return [binary('Mul', diff, rowScale), null, null];
  },
});

const argMaxOp = registerOp<{ axis: number }>({
  name: 'ArgMax',
  emit: (g, [x], { axis }) => [
    g.node1('ArgMax', [x!], { dtype: 'int64', shape: x!.shape.filter((_, i) => i !== axis), hint: 'ArgMax' }, { axis: { i: axis }, keepdims: { i: 0 } }),
  ],
  gradient: 'not-differentiable',
});

const equalOp = registerOp<Record<string, never>>({
  name: 'Equal',
  emit: (_g, [a, b]) => [binary('Equal', a!, b!, 'bool')],
  gradient: 'not-differentiable',
});

const castOp = registerOp<{ to: 'float32' | 'float64' | 'int64' | 'bool' }>({
  name: 'Cast',
  emit: (_g, [x], { to }) => [cast(x!, to)],
  gradient: 'not-differentiable',
});

export const dropPath = (x: Tensor, mask: Tensor, keepProb: number): Tensor => only(dropPathOp([x, mask], { keepProb }));
export const weightedCrossEntropy = (logits: Tensor, labels: Tensor, classWeights: Tensor): Tensor =>
  only(weightedCrossEntropyOp([logits, labels, classWeights], {} as Record<string, never>));
export const argMax = (x: Tensor, axis: number): Tensor => only(argMaxOp([x], { axis }));
export const equal = (a: Tensor, b: Tensor): Tensor => only(equalOp([a, b], {} as Record<string, never>));
export const castTo = (x: Tensor, to: 'float32' | 'float64' | 'int64' | 'bool'): Tensor => only(castOp([x], { to }));
