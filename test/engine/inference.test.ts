// The forward-only (inference) graph and the classifier that runs it: the inference graph's shortcuts
// compute the same function as the plain forward pass, and a classifier with several workers gives the same
// outputs, in order, as one with a single worker.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { GraphBuilder, type Tensor } from '../../src/main/engine/graph/builder';
import { encodeModel } from '../../src/main/engine/graph/encode';
import { presetModel } from '../../src/main/engine/models/mavit';
import { initParams, type ModelDefinition, type ParamValues } from '../../src/main/engine/models/model';
import { buildForwardGraph } from '../../src/main/engine/export/forward';
import { createSession, ort } from '../../src/main/engine/runtime/session';
import { OnnxClassifier } from '../../src/main/jobs/inference/classifier';
import { exportClassifier } from '../../src/main/jobs/train/export';
import { AUGREG_PREPROCESS } from '../../src/main/images/preprocess';
import { Rng } from '../../src/main/engine/graph/random';
import { tempDir } from '../helpers/fs';

const CLASSES = ['a', 'b', 'c', 'd', 'e'];

function smallModel(): ModelDefinition {
  return presetModel('mavit', 'vit-ti', CLASSES.length, { vit: { imageSize: 32, patchSize: 8, dim: 48, depth: 3, heads: 3, dropPathRate: 0 }, cbam: { gate: 'plain' } });
}

/** Parameters away from their initialisation (CBAM's last layers start at zero), so every path matters. */
function randomParams(model: ModelDefinition, seed: number): ParamValues {
  const params = initParams(model, seed);
  const rng = new Rng(seed + 100);
  for (const p of model.params) if (p.name.startsWith('cbam.') || p.name.endsWith('.bias')) params.set(p.name, params.get(p.name)!.map(() => rng.normal() * 0.2));
  return params;
}

function images(n: number, size: number, seed: number): Float32Array {
  const rng = new Rng(seed);
  return Float32Array.from({ length: n * 3 * size * size }, () => rng.normal());
}

async function run(bytes: Uint8Array, feeds: Record<string, ort.Tensor>): Promise<Record<string, Float32Array>> {
  const { session } = await createSession(bytes, { providers: ['cpu'] });
  try {
    const out = await session.run(feeds);
    return Object.fromEntries(Object.entries(out).map(([k, v]) => [k, v.data as Float32Array]));
  } finally {
    await session.release();
  }
}

function assertClose(actual: Float32Array, expected: Float32Array, tol: number, what: string): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  const scale = Math.max(...expected.map(Math.abs));
  for (let i = 0; i < actual.length; i++) assert.ok(Math.abs(actual[i]! - expected[i]!) <= tol * scale, `${what}[${i}]: ${actual[i]} vs ${expected[i]}`);
}

test('the inference graph (token-major attention, scale folded into q, last block for the class token only) gives the logits of the plain forward pass', async () => {
  const model = smallModel();
  const params = randomParams(model, 3);
  const B = 4;
  const x = images(B, 32, 5);
  // The plain forward pass: every block over every token, as the training graph computes it (no drop masks).
  const g = new GraphBuilder('plain');
  const P = new Map<string, Tensor>(model.params.map((p) => [p.name, g.initializer(p.name, 'float32', p.shape, params.get(p.name)!)]));
  const out = g.untaped(() => model.forward(P, g.input('images', 'float32', [B, 3, 32, 32]), { training: true }));
  g.output(out.logits, 'logits');
  g.output(out.extras.spatial_attention!, 'spatial_attention');
  const feeds = { images: new ort.Tensor('float32', x, [B, 3, 32, 32]) };
  const plain = await run(encodeModel(g, {}), feeds);
  const exported = await run(buildForwardGraph(model, { batchSize: B, params }), feeds);
  assertClose(exported.logits!, plain.logits!, 1e-5, 'logits');
  assertClose(exported.spatial_attention!, plain.spatial_attention!, 1e-6, 'spatial_attention');
  const probs = exported.probabilities!;
  for (let b = 0; b < B; b++) assert.ok(Math.abs(probs.subarray(b * 5, b * 5 + 5).reduce((s, v) => s + v, 0) - 1) < 1e-5);
});

test('a classifier with two workers gives the outputs of one worker, in order, for concurrent calls and padded batches', async () => {
  const dir = tempDir();
  const model = smallModel();
  const file = join(dir, 'model.onnx');
  exportClassifier(file, {
    model,
    params: randomParams(model, 7),
    variant: 'mavit',
    backbone: 'vit-test',
    classes: CLASSES,
    preprocessing: { ...AUGREG_PREPROCESS, size: 32 },
    weightsSource: 'test',
    trainingRun: null,
    datasetSha256: null,
    metrics: [],
    batchSize: 4,
  });
  const one = await OnnxClassifier.open(file, { providers: ['cpu'], workers: 1 });
  const two = await OnnxClassifier.open(file, { providers: ['cpu'], workers: 2 });
  try {
    assert.equal(one.concurrency, 1);
    assert.equal(two.concurrency, 2);
    const x = images(11, 32, 9); // three batches of 4, the last one padded
    const expected = await one.run(x, 11);
    const [whole, first, second] = await Promise.all([two.run(x, 11), two.run(x.subarray(0, 5 * 3 * 32 * 32), 5), two.run(x.subarray(5 * 3 * 32 * 32), 6)]);
    assertClose(whole.probabilities, expected.probabilities, 1e-6, 'probabilities');
    assertClose(whole.attention!, expected.attention!, 1e-6, 'attention');
    assertClose(Float32Array.from([...first.probabilities, ...second.probabilities]), expected.probabilities, 1e-6, 'probabilities of two calls');
    assertClose(Float32Array.from([...first.attention!, ...second.attention!]), expected.attention!, 1e-6, 'attention of two calls');
  } finally {
    await one.close();
    await two.close();
  }
});
