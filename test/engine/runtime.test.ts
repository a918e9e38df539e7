// The runtime through its real worker thread: learning a toy problem, checkpoint and resume, cancellation
// between chunks (decided by message order, not timing), execution-provider reporting, inference export.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, readFileSync, existsSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TrainingEngine, EngineCancelledError } from '../../src/main/engine/runtime/engine';
import type { EngineInit, StateSnapshot } from '../../src/main/engine/runtime/protocol';
import { cudaUnavailableReason, createSession, ort } from '../../src/main/engine/runtime/session';
import { loadCheckpoint } from '../../src/main/engine/runtime/checkpoint';
import { defineModel } from '../../src/main/engine/models/mavit';
import { exportInferenceModel } from '../../src/main/engine/export/forward';
import { readModelMetadata } from '../../src/main/engine/graph/encode';
import { toyChunk, toyImages, toyModel, TOY_CLASSES } from './toy';

const K = 4;
const B = 12;
const tmp = mkdtempSync(join(tmpdir(), 'orelab-engine-'));
test.after(() => rmSync(tmp, { recursive: true, force: true }));

function init(overrides: Partial<EngineInit> = {}): EngineInit {
  return {
    model: toyModel(),
    batchSize: B,
    stepsPerChunk: K,
    classWeights: [1, 1, 1],
    adamw: { weightDecay: 0.01 },
    init: { kind: 'seed', seed: 7 },
    // One thread: results do not depend on how work is split, so resumed runs can be compared exactly.
    intraOpThreads: 1,
    ...overrides,
  };
}

const rates = defineModel(toyModel()).dropPathRates;
const chunk = (i: number, lr = 3e-3) => toyChunk(i, K, B, rates.length, rates, lr);

function accuracy(logits: Float32Array, labels: Int32Array): number {
  let right = 0;
  for (let n = 0; n < labels.length; n++) {
    const row = logits.subarray(n * TOY_CLASSES, (n + 1) * TOY_CLASSES);
    const pred = row.indexOf(Math.max(...row));
    if (pred === labels[n]) right++;
  }
  return right / labels.length;
}

function assertSameState(a: StateSnapshot, b: StateSnapshot): void {
  assert.equal(a.step, b.step);
  for (const kind of ['params', 'm', 'v'] as const) {
    for (const [name, data] of Object.entries(a[kind])) assert.deepEqual(b[kind][name], data, `${kind} ${name}`);
  }
}

test('a tiny MA-ViT learns a separable toy problem to ~100% through the worker runtime', async () => {
  const engine = await TrainingEngine.start(init());
  try {
    const held = toyImages(60, 99);
    const before = accuracy((await engine.evaluate(Float32Array.from(held.images), 60)).logits, held.labels);
    const losses: number[] = [];
    for (let i = 0; i < 8; i++) {
      const r = await engine.trainChunk(chunk(i));
      losses.push(...r.losses);
    }
    const { logits, spatialAttention } = await engine.evaluate(held.images, 60);
    const after = accuracy(logits, held.labels);
    assert.ok(after >= 0.98, `held-out accuracy ${after} (before training ${before}); losses ${losses.map((l) => l.toFixed(3)).join(' ')}`);
    assert.ok(losses.at(-1)! < losses[0]! / 4, 'loss fell');
    assert.equal(spatialAttention?.length, 60 * 16 * 16);
  } finally {
    await engine.close();
  }
});

test('checkpoint round trip: resuming from a checkpoint continues training identically', async () => {
  const path = join(tmp, 'resume.ckpt');
  const a = await TrainingEngine.start(init());
  let continued: StateSnapshot;
  let atCheckpoint: StateSnapshot;
  try {
    await a.trainChunk(chunk(0));
    await a.trainChunk(chunk(1));
    assert.equal(await a.checkpoint(path, { epoch: 3 }), 2 * K);
    atCheckpoint = await a.getState();
    await a.trainChunk(chunk(2));
    await a.trainChunk(chunk(3));
    continued = await a.getState();
  } finally {
    await a.close();
  }
  const { state, meta } = loadCheckpoint(path);
  assert.equal(state.step, 2 * K);
  assert.equal(meta.epoch, 3);
  assert.deepEqual(state.params.get('cbam.spatial.conv.weight'), atCheckpoint.params['cbam.spatial.conv.weight']);
  assert.deepEqual(readdirSync(tmp).filter((f) => f.includes('.tmp-')), [], 'no temp file left behind');

  const b = await TrainingEngine.start(init({ init: { kind: 'checkpoint', path } }));
  try {
    assert.equal(b.ready.step, 2 * K);
    assertSameState(atCheckpoint, await b.getState());
    await b.trainChunk(chunk(2));
    await b.trainChunk(chunk(3));
    assertSameState(continued, await b.getState());
  } finally {
    await b.close();
  }
});

test('cancel drops queued chunks; the running chunk completes and training can go on', async () => {
  const engine = await TrainingEngine.start(init());
  try {
    // The first request goes to the worker at once; the next two wait in the engine's queue.
    const first = engine.trainChunk(chunk(0));
    // (Outcomes are captured at once: a cancelled chunk's promise rejects synchronously inside cancel().)
    const outcome = (p: Promise<unknown>) => p.then(() => 'ran', (err: unknown) => err);
    const second = outcome(engine.trainChunk(chunk(1)));
    const third = outcome(engine.trainChunk(chunk(2)));
    const savedAfter = engine.checkpoint(join(tmp, 'cancel.ckpt'));
    assert.equal(engine.cancel(), 2);
    assert.equal((await first).step, K);
    assert.ok((await second) instanceof EngineCancelledError);
    assert.ok((await third) instanceof EngineCancelledError);
    assert.equal(await savedAfter, K, 'a checkpoint queued behind cancelled chunks sees only the completed one');
    assert.equal((await engine.getState()).step, K);
    assert.equal((await engine.trainChunk(chunk(3))).step, 2 * K);
  } finally {
    await engine.close();
  }
});

test('the engine reports which execution provider ran and why CUDA was skipped', async () => {
  const engine = await TrainingEngine.start(init());
  try {
    const reason = cudaUnavailableReason();
    if (reason) {
      assert.equal(engine.ready.provider, 'cpu');
      assert.deepEqual(engine.ready.skipped, [{ provider: 'cuda', reason }]);
      assert.match(reason, /CUDA/);
    } else {
      assert.ok(['cuda', 'cpu'].includes(engine.ready.provider));
    }
    const cpuOnly = await TrainingEngine.start(init({ providers: ['cpu'] }));
    assert.equal(cpuOnly.ready.provider, 'cpu');
    assert.deepEqual(cpuOnly.ready.skipped, []);
    await cpuOnly.close();
  } finally {
    await engine.close();
  }
});

test('frozen parameters get no update and no moments', async () => {
  const frozen = ['cls_token', 'blocks.0.attn.qkv.weight'];
  const engine = await TrainingEngine.start(init({ frozen }));
  try {
    assert.deepEqual(engine.ready.frozen, frozen);
    const before = await engine.getState();
    await engine.trainChunk(chunk(0));
    const after = await engine.getState();
    for (const name of frozen) {
      assert.deepEqual(after.params[name], before.params[name], `${name} unchanged`);
      assert.equal(after.m[name], undefined);
    }
    assert.notDeepEqual(after.params['blocks.0.attn.qkv.bias'], before.params['blocks.0.attn.qkv.bias']);
  } finally {
    await engine.close();
  }
});

test('inference export: a standalone .onnx with logits, attention map and metadata matches evaluate()', async () => {
  const engine = await TrainingEngine.start(init());
  const held = toyImages(2, 5);
  let expected: Float32Array;
  let state: StateSnapshot;
  try {
    await engine.trainChunk(chunk(0));
    expected = (await engine.evaluate(Float32Array.from(held.images), 2)).logits;
    state = await engine.getState();
  } finally {
    await engine.close();
  }
  const path = join(tmp, 'classifier.onnx');
  const model = defineModel(toyModel());
  exportInferenceModel(path, model, new Map(Object.entries(state.params)), { batchSize: 2, metadata: { 'orelab.classes': JSON.stringify(['a', 'b', 'c']) } });
  assert.ok(existsSync(path));
  assert.equal(readModelMetadata(readFileSync(path))['orelab.classes'], '["a","b","c"]');
  const { session } = await createSession(path, { providers: ['cpu'] });
  assert.deepEqual([...session.inputNames], ['images'], 'parameters are initializers, not inputs');
  const out = await session.run({ images: new ort.Tensor('float32', held.images, [2, 3, 16, 16]) });
  const logits = out.logits!.data as Float32Array;
  for (let i = 0; i < logits.length; i++) assert.ok(Math.abs(logits[i]! - expected[i]!) < 1e-5, `logit ${i}`);
  assert.deepEqual(out.spatial_attention!.dims, [2, 1, 16, 16]);
  const probs = out.probabilities!.data as Float32Array;
  assert.ok(Math.abs(probs[0]! + probs[1]! + probs[2]! - 1) < 1e-5);
  await session.release();
});
