// The embedding graph: the shipped ViT-Ti's class token after the final LayerNorm matches PyTorch (fixture made
// by scripts/parity/make_embedding_fixture.py), run in the inference worker as `orelab embed` runs it; and a
// trained model file's embedding is the very vector its head reads (for MA-ViT, behind the CBAM pre-filter).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import {
  buildEmbeddingGraph,
  buildForwardGraph,
  classifierEmbeddingSource,
  createSession,
  initParams,
  ort,
  presetModel,
  pretrainedEmbeddingSource,
  readSafetensors,
  Rng,
  type ModelDefinition,
  type ParamValues,
} from '../../src/main/engine';
import { OnnxEmbedder } from '../../src/main/jobs/embed/embedder';
import { AUGREG_PREPROCESS } from '../../src/main/images/preprocess';
import { REPO_ROOT } from '../helpers/fs';

const SHIPPED = path.join(REPO_ROOT, 'resources/models/vit_tiny_patch16_224_augreg_in1k.safetensors');
const FIXTURE = path.join(REPO_ROOT, 'test/fixtures/parity/vit_ti_embedding.json');

// The formulas of the fixture script (normalised NCHW inputs).
const INPUTS: Record<string, (c: number, h: number, w: number) => number> = {
  zeros: () => 0,
  sin_pattern: (c, h, w) => 0.8 * Math.sin(0.05 * w + 0.07 * h + 1.3 * c),
  cos_pattern: (c, h, w) => 0.9 * Math.cos(0.031 * w * (c + 1) - 0.043 * h + 0.7 * c),
};

test('the shipped ViT-Ti embedding matches PyTorch on three fixed inputs, run in the inference worker', async () => {
  const fixture = JSON.parse(fs.readFileSync(FIXTURE, 'utf8')) as { inputs: Record<string, { embedding: number[] }> };
  const names = Object.keys(INPUTS);
  const size = 224;
  const plane = size * size;
  const images = new Float32Array(names.length * 3 * plane);
  names.forEach((name, i) => {
    for (let c = 0; c < 3; c++) for (let h = 0; h < size; h++) for (let w = 0; w < size; w++) images[(i * 3 + c) * plane + h * size + w] = INPUTS[name]!(c, h, w);
  });
  const graph = buildEmbeddingGraph(pretrainedEmbeddingSource(readSafetensors(SHIPPED).tensors, 'vit-ti'), { batchSize: 4 });
  assert.equal(graph.dim, 192);
  const embedder = await OnnxEmbedder.open(graph, 4, AUGREG_PREPROCESS, { providers: ['cpu'], workers: 1 });
  let vectors: Float32Array;
  try {
    vectors = await embedder.embed(images, names.length); // a short batch: padded, the padding dropped
  } finally {
    await embedder.close();
  }
  assert.equal(vectors.length, names.length * 192);
  names.forEach((name, i) => {
    const want = fixture.inputs[name]!.embedding;
    const got = vectors.subarray(i * 192, (i + 1) * 192);
    const scale = Math.max(...want.map(Math.abs));
    const worst = Math.max(...want.map((v, k) => Math.abs(got[k]! - v)));
    // float32 through 12 blocks against float64: measured ≤ 1.1e-5 absolute, 8e-7 of the largest value (10–14).
    assert.ok(worst <= 1e-5 * scale, `${name}: largest difference ${worst} (scale ${scale})`);
  });
});

const CLASS_COUNT = 3;

/** A tiny MA-ViT with its CBAM away from the identity (its last layers start at zero) and plain gate. */
function tinyMavit(): { model: ModelDefinition; params: ParamValues } {
  const model = presetModel('mavit', 'vit-ti', CLASS_COUNT, { vit: { imageSize: 32, patchSize: 8, dim: 32, depth: 2, heads: 2, dropPathRate: 0 }, cbam: { gate: 'plain' } });
  const params = initParams(model, 7);
  const rng = new Rng(8);
  for (const p of model.params) if (p.name.startsWith('cbam.') || p.name.endsWith('.bias')) params.set(p.name, params.get(p.name)!.map(() => rng.normal() * 0.3));
  return { model, params };
}

async function runGraph(bytes: Uint8Array, images: Float32Array, n: number, size: number, output: string): Promise<Float32Array> {
  const { session } = await createSession(bytes, { providers: ['cpu'] });
  try {
    const out = await session.run({ images: new ort.Tensor('float32', images, [n, 3, size, size]) });
    return out[output]!.data as Float32Array;
  } finally {
    await session.release();
  }
}

test("a trained MA-ViT file's embedding is what its head reads: the CBAM-filtered class token after the final norm", async () => {
  const { model, params } = tinyMavit();
  // The classifier's exported form (jobs/train/export.ts writes it through exportInferenceModel).
  const classifier = buildForwardGraph(model, { batchSize: 4, params });
  const rng = new Rng(9);
  const images = Float32Array.from({ length: 4 * 3 * 32 * 32 }, () => rng.normal());
  const source = classifierEmbeddingSource(classifier, 'model.onnx');
  const graph = buildEmbeddingGraph(source, { batchSize: 4 });
  assert.equal(graph.dim, 32);
  const embedding = await runGraph(graph.bytes, images, 4, 32, 'embedding');
  const logits = await runGraph(classifier, images, 4, 32, 'logits');
  // head(embedding) must give the file's own logits.
  const W = params.get('head.weight')!;
  const b = params.get('head.bias')!;
  for (let n = 0; n < 4; n++)
    for (let c = 0; c < CLASS_COUNT; c++) {
      let z = b[c]!;
      for (let k = 0; k < 32; k++) z += W[c * 32 + k]! * embedding[n * 32 + k]!;
      assert.ok(Math.abs(z - logits[n * CLASS_COUNT + c]!) < 1e-4, `image ${n} class ${c}: head(embedding) ${z} vs logit ${logits[n * CLASS_COUNT + c]}`);
    }
  // Without the pre-filter (the same backbone weights as a plain ViT) the vectors differ: the check above can fail.
  const vit = presetModel('vit', 'vit-ti', CLASS_COUNT, { vit: { imageSize: 32, patchSize: 8, dim: 32, depth: 2, heads: 2, dropPathRate: 0 } });
  const bare = await runGraph(buildEmbeddingGraph({ model: vit, params }, { batchSize: 4 }).bytes, images, 4, 32, 'embedding');
  const gap = Math.max(...Array.from(bare, (v, i) => Math.abs(v - embedding[i]!)));
  assert.ok(gap > 1e-2, `the pre-filter changed the embedding by only ${gap}`);
});

test('an embedding graph holds only the parameters the embedding reads (no head)', () => {
  const { model, params } = tinyMavit();
  const bytes = buildEmbeddingGraph({ model, params }, { batchSize: 2 }).bytes;
  const source = classifierEmbeddingSource(bytes, 'embedding.onnx');
  assert.ok(!source.params.has('head.weight'));
  assert.ok(source.params.has('cbam.spatial.conv.weight') && source.params.has('norm.weight'));
});
