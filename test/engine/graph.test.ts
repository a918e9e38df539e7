// Graph building, the op registry's refusals, autodiff edge cases, the Loop chunk against single steps,
// and the host-side lr schedule.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GraphBuilder } from '../../src/main/engine/graph/builder';
import { encodeModel, readModelMetadata } from '../../src/main/engine/graph/encode';
import * as op from '../../src/main/engine/ops/index';
import { registerOp, OpRegistryError, type OpDef } from '../../src/main/engine/ops/registry';
import { backward, AutodiffError } from '../../src/main/engine/autodiff/backward';
import { createSession, ort } from '../../src/main/engine/runtime/session';
import { EngineCore } from '../../src/main/engine/runtime/trainer';
import { defineModel } from '../../src/main/engine/models/mavit';
import { cosineLr } from '../../src/main/engine/optim/schedule';
import { toyChunk, toyModel } from './toy';

test('the registry refuses an op that states no gradient rule', () => {
  const def = { name: 'NoRule', emit: () => [] } as unknown as OpDef<Record<string, never>>;
  assert.throws(() => registerOp(def), (err: Error) => err instanceof OpRegistryError && /NoRule/.test(err.message) && /gradient rule/.test(err.message));
});

test('differentiating through an op without a gradient rule fails at graph-build time, naming the op', () => {
  const g = new GraphBuilder('g');
  const x = g.input('x', 'float32', [2, 3]);
  // Cast is registered as not differentiable; routing the loss through it must be refused.
  const loss = op.reduceSum(op.castTo(x, 'float64'), [0, 1]);
  assert.throws(() => backward(g, loss, [x]), (err: Error) => err instanceof AutodiffError && /op "Cast" has no gradient rule/.test(err.message));
  // The same through ArgMax: the int64 indices carry the dependency to the Cast that would need a rule.
  const viaArgMax = op.reduceSum(op.castTo(op.argMax(x, 1), 'float32'), [0]);
  assert.throws(() => backward(g, viaArgMax, [x]), AutodiffError);
});

test('a loss that does not depend on the parameters is an error, a parameter the loss skips gets zeros', async () => {
  const g = new GraphBuilder('g');
  const x = g.input('x', 'float64', [3]);
  const unused = g.input('unused', 'float64', [2]);
  const loss = op.reduceSum(op.mul(x, x), [0]);
  assert.throws(() => backward(g, loss, [unused]), AutodiffError);
  const grads = backward(g, loss, [x, unused]);
  g.output(grads.get('unused')!, 'd_unused');
  g.output(grads.get('x')!, 'd_x');
  const { session } = await createSession(encodeModel(g), { providers: ['cpu'] });
  const r = await session.run({ x: new ort.Tensor('float64', Float64Array.from([1, 2, 3]), [3]), unused: new ort.Tensor('float64', new Float64Array(2), [2]) });
  assert.deepEqual([...(r.d_unused!.data as Float64Array)], [0, 0]);
  assert.deepEqual([...(r.d_x!.data as Float64Array)], [2, 4, 6]);
});

test('max pooling routes the gradient of tied maxima to the first one only', async () => {
  const g = new GraphBuilder('g');
  const x = g.input('x', 'float32', [1, 1, 2, 2]);
  const loss = op.reduceSum(op.globalMaxPool(x), [0, 1]);
  g.output(backward(g, loss, [x]).get('x')!, 'dx');
  const { session } = await createSession(encodeModel(g), { providers: ['cpu'] });
  const r = await session.run({ x: new ort.Tensor('float32', Float32Array.from([1, 5, 5, 5]), [1, 1, 2, 2]) });
  assert.deepEqual([...(r.dx!.data as Float32Array)], [0, 1, 0, 0]);
});

test('model metadata_props round-trip through the encoded ModelProto', () => {
  const g = new GraphBuilder('g');
  g.output(op.relu(g.input('x', 'float32', [1])), 'y');
  const meta = readModelMetadata(encodeModel(g, { metadata: { classes: '["quartz","pyrite"]', image: '224' } }));
  assert.deepEqual(meta, { classes: '["quartz","pyrite"]', image: '224' });
});

test('Loop parity: K steps inside one Loop give the same state as K single-step chunks', async () => {
  const model = toyModel();
  const rates = defineModel(model).dropPathRates;
  const B = 6;
  const K = 3;
  const common = { model, batchSize: B, classWeights: [0.5, 1, 2], adamw: { weightDecay: 0.05 }, init: { kind: 'seed' as const, seed: 3 }, intraOpThreads: 1 };
  const looped = await EngineCore.create({ ...common, stepsPerChunk: K });
  const single = await EngineCore.create({ ...common, stepsPerChunk: 1 });
  const big = toyChunk(0, K, B, rates.length, rates, 2e-3);
  big.lrs.set([1e-3, 2e-3, 3e-3]);
  const loopResult = await looped.runChunk(big);
  const perStep = 3 * 16 * 16 * B;
  const slots = rates.length;
  const singleLosses: number[] = [];
  for (let k = 0; k < K; k++) {
    const r = await single.runChunk({
      images: big.images.slice(k * perStep, (k + 1) * perStep),
      labels: big.labels.slice(k * B, (k + 1) * B),
      dropMasks: big.dropMasks!.slice(k * slots * B, (k + 1) * slots * B),
      lrs: big.lrs.slice(k, k + 1),
    });
    singleLosses.push(r.losses[0]!);
  }
  assert.equal(looped.step, K);
  assert.equal(single.step, K);
  const a = looped.trainState();
  const b = single.trainState();
  for (const kind of ['params', 'm', 'v'] as const) {
    for (const [name, data] of a[kind]) {
      const other = b[kind].get(name)!;
      let worst = 0;
      let scale = 0;
      for (let i = 0; i < data.length; i++) {
        worst = Math.max(worst, Math.abs(data[i]! - other[i]!));
        scale = Math.max(scale, Math.abs(other[i]!));
      }
      assert.ok(worst <= 1e-6 * scale + 1e-12, `${kind} ${name}: differs by ${worst}`);
    }
  }
  for (let k = 0; k < K; k++) assert.ok(Math.abs(loopResult.losses[k]! - singleLosses[k]!) < 1e-6, `loss of step ${k}`);
  // The chunk really moved the parameters (the comparison is not between two untouched states).
  const init = defineModel(model).params.find((p) => p.name === 'head.weight')!;
  assert.ok(init);
  assert.ok(a.m.get('head.weight')!.some((v) => v !== 0));
  await looped.release();
  await single.release();
});

test('cosine schedule: linear warm-up to the peak, then cosine to the floor', () => {
  const s = { baseLr: 3e-5, totalSteps: 100, warmupSteps: 10 };
  assert.ok(Math.abs(cosineLr(s, 0) - 3e-6) < 1e-12);
  assert.ok(Math.abs(cosineLr(s, 9) - 3e-5) < 1e-12);
  assert.ok(Math.abs(cosineLr(s, 10) - 3e-5) < 1e-12);
  assert.ok(Math.abs(cosineLr(s, 55) - 1.5e-5) < 1e-12);
  assert.ok(cosineLr(s, 100) < 1e-12);
  assert.ok(Math.abs(cosineLr({ baseLr: 1, totalSteps: 4 }, 2) - 0.5) < 1e-12);
});
