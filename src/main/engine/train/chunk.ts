// The train-chunk graph: forward, loss, backward and AdamW for K mini-batches inside ONE ONNX Loop, with
// the trainable parameters, both Adam moments and the step count carried through the loop. One session.run
// per chunk instead of per step: on CUDA every graph output is copied to the host, so the Loop saves K−1
// round trips of the whole training state.
import { GraphBuilder, type Tensor } from '../graph/builder';
import { encodeModel } from '../graph/encode';
import { backward } from '../autodiff/backward';
import * as op from '../ops/index';
import { binary } from '../ops/emit';
import { adamwScalars, adamwUpdate, DEFAULT_ADAMW, type AdamWConfig } from '../optim/adamw';
import type { ModelDefinition } from '../models/model';

export interface TrainChunkOptions {
  batchSize: number;
  /** Mini-batches per chunk (K ≥ 1). */
  steps: number;
  adamw?: Partial<AdamWConfig>;
  /** Parameters that get no gradient and no update (they stay plain inputs). */
  frozen?: (paramName: string) => boolean;
}

/** Names of the graph's inputs and outputs; state values keep the parameter's own name. */
export const chunkNames = {
  images: 'images',
  labels: 'labels',
  dropMasks: 'drop_masks',
  lrs: 'lrs',
  classWeights: 'class_weights',
  step: 'adam_step',
  losses: 'losses',
  correct: 'correct',
  m: (p: string) => `adam_m.${p}`,
  v: (p: string) => `adam_v.${p}`,
  /** Output name of the updated value of a state input. */
  next: (stateName: string) => `next.${stateName}`,
};

export interface TrainChunkGraph {
  bytes: Uint8Array;
  trainable: string[];
  frozen: string[];
  batchSize: number;
  steps: number;
  /** Feed shapes, for the runtime's checks. */
  shapes: { images: number[]; labels: number[]; dropMasks: number[]; lrs: number[]; classWeights: number[] };
}

export function buildTrainChunk(model: ModelDefinition, options: TrainChunkOptions): TrainChunkGraph {
  const K = options.steps;
  const B = options.batchSize;
  if (!Number.isInteger(K) || K < 1 || !Number.isInteger(B) || B < 1) throw new Error('steps and batchSize must be positive integers');
  const adamw: AdamWConfig = { ...DEFAULT_ADAMW, ...options.adamw };
  const isFrozen = options.frozen ?? (() => false);
  const trainable = model.params.filter((p) => !isFrozen(p.name));
  const frozen = model.params.filter((p) => isFrozen(p.name));
  const slots = model.dropPathRates.length;
  const C = model.numClasses;

  const g = new GraphBuilder('train_chunk');
  const shapes = {
    images: [K, B, ...model.inputShape],
    labels: [K, B],
    dropMasks: [K, Math.max(slots, 1), B],
    lrs: [K],
    classWeights: [C],
  };
  const images = g.input(chunkNames.images, 'float32', shapes.images);
  const labels = g.input(chunkNames.labels, 'int64', shapes.labels);
  const masks = g.input(chunkNames.dropMasks, 'float32', shapes.dropMasks);
  const lrs = g.input(chunkNames.lrs, 'float32', shapes.lrs);
  const classWeights = g.input(chunkNames.classWeights, 'float32', shapes.classWeights);
  const frozenIn = new Map(frozen.map((p) => [p.name, g.input(p.name, 'float32', p.shape)]));
  const carriedInit: Tensor[] = [];
  for (const p of trainable) carriedInit.push(g.input(p.name, 'float32', p.shape));
  for (const p of trainable) carriedInit.push(g.input(chunkNames.m(p.name), 'float32', p.shape));
  for (const p of trainable) carriedInit.push(g.input(chunkNames.v(p.name), 'float32', p.shape));
  carriedInit.push(g.input(chunkNames.step, 'int64', []));

  // Loop body: (iteration, cond, params…, m…, v…, step) → (cond, params…, m…, v…, step, loss, correct).
  const body = g.subgraph('train_step');
  const iter = body.input('iter', 'int64', []);
  const condIn = body.input('cond_in', 'bool', []);
  const pIn = trainable.map((p) => body.input(`s.${p.name}`, 'float32', p.shape));
  const mIn = trainable.map((p) => body.input(`s.${chunkNames.m(p.name)}`, 'float32', p.shape));
  const vIn = trainable.map((p) => body.input(`s.${chunkNames.v(p.name)}`, 'float32', p.shape));
  const stepIn = body.input('s.adam_step', 'int64', []);

  const params = new Map<string, Tensor>(frozenIn);
  trainable.forEach((p, i) => params.set(p.name, pIn[i]!));
  const x = op.gather(images, iter, 0);
  const y = op.gather(labels, iter, 0);
  const stepMasks = op.gather(masks, iter, 0);
  const { logits } = model.forward(params, x, { training: true, dropMasks: stepMasks });
  const loss = op.weightedCrossEntropy(logits, y, classWeights);
  const correct = op.reduceSum(op.castTo(op.equal(op.argMax(logits, 1), y), 'float32'), [0]);
  const grads = backward(body, loss, pIn);

  const outs = body.untaped(() => {
    const t = binary('Add', stepIn, body.scalar(1, 'int64'));
    const lr = op.gather(lrs, iter, 0);
    const scalars = adamwScalars(lr, t, adamw);
    const updated = trainable.map((p, i) => adamwUpdate(p.name, pIn[i]!, grads.get(pIn[i]!.name)!, mIn[i]!, vIn[i]!, scalars, adamw));
    return { t, updated };
  });
  body.output(condIn);
  for (const u of outs.updated) body.output(u.p);
  for (const u of outs.updated) body.output(u.m);
  for (const u of outs.updated) body.output(u.v);
  body.output(outs.t);
  body.output(loss);
  body.output(correct);

  const stateNames = [...trainable.map((p) => p.name), ...trainable.map((p) => chunkNames.m(p.name)), ...trainable.map((p) => chunkNames.v(p.name)), chunkNames.step];
  const loopOuts = g.node(
    'Loop',
    [g.constant('int64', [], [K], 'trip_count'), g.constant('bool', [], [1], 'cond'), ...carriedInit],
    [
      ...carriedInit.map((t) => ({ dtype: t.dtype, shape: t.shape, hint: 'loop_state' })),
      { dtype: 'float32' as const, shape: [K], hint: 'loop_losses' },
      { dtype: 'float32' as const, shape: [K], hint: 'loop_correct' },
    ],
    { body: { g: body } },
  );
  stateNames.forEach((name, i) => g.output(loopOuts[i]!, chunkNames.next(name)));
  g.output(loopOuts[stateNames.length]!, chunkNames.losses);
  g.output(loopOuts[stateNames.length + 1]!, chunkNames.correct);

  return {
    bytes: encodeModel(g, { metadata: { 'orelab.graph': 'train_chunk', 'orelab.steps': String(K), 'orelab.batch': String(B) } }),
    trainable: trainable.map((p) => p.name),
    frozen: frozen.map((p) => p.name),
    batchSize: B,
    steps: K,
    shapes,
  };
}

/** A single-batch graph exposing logits, loss and every trainable parameter's gradient (`grad.<name>`):
 * for parity tests and debugging, not for training. */
export function buildLossAndGradientGraph(model: ModelDefinition, batchSize: number): Uint8Array {
  const B = batchSize;
  const g = new GraphBuilder('loss_and_gradients');
  const params = new Map(model.params.map((p) => [p.name, g.input(p.name, 'float32', p.shape)]));
  const images = g.input('images', 'float32', [B, ...model.inputShape]);
  const labels = g.input('labels', 'int64', [B]);
  const masks = g.input('drop_masks', 'float32', [Math.max(model.dropPathRates.length, 1), B]);
  const weights = g.input('class_weights', 'float32', [model.numClasses]);
  const { logits } = model.forward(params, images, { training: true, dropMasks: masks });
  const loss = op.weightedCrossEntropy(logits, labels, weights);
  const grads = backward(g, loss, [...params.values()]);
  g.output(logits, 'logits');
  g.output(loss, 'loss');
  for (const p of model.params) g.output(grads.get(p.name)!, `grad.${p.name}`);
  return encodeModel(g);
}
