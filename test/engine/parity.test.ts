// Parity with PyTorch on a small ViT with a CBAM pre-filter (fixtures from scripts/parity/make_parity_fixtures.py,
// a float64 reference): forward logits, the class-weighted loss, every parameter gradient, and one AdamW step.
// Tolerance: each tensor must match to 1e-4 of its own largest magnitude (float32 engine vs float64 reference);
// the AdamW update (after − before) is also compared on its own scale, so a wrong update cannot hide under
// the parameter's magnitude.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { defineModel, type ModelConfig } from '../../src/main/engine/models/mavit';
import type { ModelDefinition } from '../../src/main/engine/models/model';
import { buildLossAndGradientGraph, buildTrainChunk, chunkNames } from '../../src/main/engine/train/chunk';
import { buildForwardGraph } from '../../src/main/engine/export/forward';
import { createSession, ort } from '../../src/main/engine/runtime/session';
import { loadParityFixture, type ParityFixture } from './fixtures';

const fx = loadParityFixture();

function model(patchEmbed: 'conv' | 'gemm'): ModelDefinition {
  const c = fx.config;
  const config: ModelConfig = {
    variant: 'mavit',
    vit: {
      imageSize: c.image,
      patchSize: c.patch,
      dim: c.dim,
      depth: c.depth,
      heads: c.heads,
      mlpRatio: c.mlp_ratio,
      numClasses: c.classes,
      dropPathRate: c.drop_path_rate,
      lnEps: c.ln_eps,
      patchEmbed,
    },
    cbam: { channels: 3, hidden: c.cbam_hidden, kernel: c.cbam_kernel, gate: c.gate },
  };
  return defineModel(config);
}

function f32(name: string): ort.Tensor {
  const t = fx.tensor(name);
  return new ort.Tensor('float32', t.data, t.shape);
}

function assertClose(actual: ArrayLike<number>, expectedName: string, what: string, rel = 1e-4): void {
  const expected = fx.tensor(expectedName).data;
  assertCloseTo(actual, expected, what, rel);
}

function assertCloseTo(actual: ArrayLike<number>, expected: ArrayLike<number>, what: string, rel: number): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  let scale = 0;
  for (let i = 0; i < expected.length; i++) scale = Math.max(scale, Math.abs(expected[i]!));
  let worst = 0;
  for (let i = 0; i < expected.length; i++) worst = Math.max(worst, Math.abs(actual[i]! - expected[i]!));
  assert.ok(worst <= rel * scale + 1e-7, `${what}: max abs error ${worst.toExponential(3)} vs scale ${scale.toExponential(3)} (rel ${(worst / scale).toExponential(2)})`);
}

function commonFeeds(f: ParityFixture, m: ModelDefinition): Record<string, ort.Tensor> {
  const feeds: Record<string, ort.Tensor> = {};
  for (const p of m.params) feeds[p.name] = f32(`param/${p.name}`);
  return feeds;
}

for (const patchEmbed of ['gemm', 'conv'] as const) {
  test(`PyTorch parity (patch embedding as ${patchEmbed}): logits, weighted loss, all gradients`, async () => {
    const m = model(patchEmbed);
    assert.deepEqual(
      m.params.map((p) => [p.name, p.shape]),
      fx.params.map((p) => [p.name, p.shape]),
      'parameter names and shapes match the PyTorch model',
    );
    const { session } = await createSession(buildLossAndGradientGraph(m, fx.config.batch), { providers: ['cpu'] });
    const feeds = commonFeeds(fx, m);
    feeds.images = f32('input/images');
    feeds.labels = new ort.Tensor('int64', BigInt64Array.from(fx.labels, BigInt), [fx.labels.length]);
    feeds.drop_masks = f32('input/drop_masks');
    feeds.class_weights = f32('input/class_weights');
    const r = await session.run(feeds);
    assertClose(r.logits!.data as Float32Array, 'expected/logits_train', 'logits (training, DropPath masks)');
    assertClose(r.loss!.data as Float32Array, 'expected/loss', 'loss');
    for (const p of m.params) assertClose(r[`grad.${p.name}`]!.data as Float32Array, `grad/${p.name}`, `gradient of ${p.name}`);
    await session.release();
  });
}

test('PyTorch parity: evaluation forward (logits and CBAM spatial attention map)', async () => {
  const m = model('gemm');
  const { session } = await createSession(buildForwardGraph(m, { batchSize: fx.config.batch }), { providers: ['cpu'] });
  const feeds = commonFeeds(fx, m);
  feeds.images = f32('input/images');
  const r = await session.run(feeds);
  assertClose(r.logits!.data as Float32Array, 'expected/logits_eval', 'logits (eval)');
  assertClose(r.spatial_attention!.data as Float32Array, 'expected/spatial_attention_eval', 'spatial attention');
  await session.release();
});

test('PyTorch parity: one AdamW step in the train-chunk graph (K = 1) matches torch.optim.AdamW', async () => {
  const m = model('gemm');
  const { lr, betas, eps, weight_decay } = fx.adamw;
  const chunk = buildTrainChunk(m, { batchSize: fx.config.batch, steps: 1, adamw: { beta1: betas[0], beta2: betas[1], eps, weightDecay: weight_decay } });
  const { session } = await createSession(chunk.bytes, { providers: ['cpu'] });
  const feeds = commonFeeds(fx, m);
  for (const p of m.params) {
    feeds[chunkNames.m(p.name)] = f32(`m0/${p.name}`);
    feeds[chunkNames.v(p.name)] = f32(`v0/${p.name}`);
  }
  feeds[chunkNames.step] = new ort.Tensor('int64', BigInt64Array.from([BigInt(fx.step0)]), []);
  const img = fx.tensor('input/images');
  feeds[chunkNames.images] = new ort.Tensor('float32', img.data, [1, ...img.shape]);
  feeds[chunkNames.labels] = new ort.Tensor('int64', BigInt64Array.from(fx.labels, BigInt), [1, fx.labels.length]);
  const masks = fx.tensor('input/drop_masks');
  feeds[chunkNames.dropMasks] = new ort.Tensor('float32', masks.data, [1, ...masks.shape]);
  feeds[chunkNames.lrs] = new ort.Tensor('float32', Float32Array.from([lr]), [1]);
  feeds[chunkNames.classWeights] = f32('input/class_weights');
  const r = await session.run(feeds);
  assertClose(r[chunkNames.losses]!.data as Float32Array, 'expected/loss', 'loss from the chunk');
  assert.equal(r[chunkNames.next(chunkNames.step)]!.data[0], BigInt(fx.step0 + 1));
  for (const p of m.params) {
    const after = r[chunkNames.next(p.name)]!.data as Float32Array;
    assertClose(after, `after/${p.name}`, `${p.name} after AdamW`);
    const before = fx.tensor(`param/${p.name}`).data;
    const expectedAfter = fx.tensor(`after/${p.name}`).data;
    const delta = after.map((v, i) => v - before[i]!);
    const expectedDelta = expectedAfter.map((v, i) => v - before[i]!);
    // The update is ~lr in size; float32 parameters of magnitude ~1 carry it with ~6e-8 absolute error,
    // so the update is compared to 2e-3 of its own scale.
    assertCloseTo(delta, expectedDelta, `${p.name} AdamW update`, 2e-3);
    assertClose(r[chunkNames.next(chunkNames.m(p.name))]!.data as Float32Array, `m1/${p.name}`, `${p.name} first moment`);
    assertClose(r[chunkNames.next(chunkNames.v(p.name))]!.data as Float32Array, `v1/${p.name}`, `${p.name} second moment`);
  }
  await session.release();
});
