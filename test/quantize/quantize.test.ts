// orelab quantize (issue 14): the engine's int8 rewrite of a real exported model, run in onnxruntime, its
// metadata, the CLI's accuracy guard, and the refusals of files it cannot quantize.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import onnxProto from 'onnx-proto';
import { ort, quantizeModel, quantizeWeight, GraphBuilder, encodeModel, op } from '../../src/main/engine';
import { readModelFile } from '../../src/main/jobs/inference/model-file';
import { decodeModelMetadata, modelPrecision } from '../../src/shared/model-metadata';
import { compareScores, guardProblem, runQuantize } from '../../src/main/services/quantize';
import { tempDir } from '../helpers/fs';
import { makeTinyClassifier } from '../helpers/model';
import { labeledJpegCatalogue } from '../helpers/images';
import { runCliInProcess } from '../helpers/cli';
import { presetModel } from '../../src/main/engine/models/mavit';
import { initParams } from '../../src/main/engine/models/model';
import { exportClassifier } from '../../src/main/jobs/train/export';
import { AUGREG_PREPROCESS } from '../../src/main/images/preprocess';

/**
 * A tiny ViT that per-tensor activation quantization ruins: norm2's bias puts +1000 on one channel that fc1
 * ignores (its weight column is 0), so fp32 does not see it, but DynamicQuantizeLinear's one scale for the
 * whole activation (~1000/255) rounds every other channel to the zero point; and the MLP is scaled up so the
 * information it loses decides the class.
 */
function makeOutlierClassifier(dir: string, classes: readonly string[]): string {
  const model = presetModel('vit', 'vit-ti', classes.length, { vit: { imageSize: 32, patchSize: 8, dim: 32, depth: 1, heads: 2, dropPathRate: 0 } });
  const params = initParams(model, 7);
  const scale = (name: string, by: number) => params.set(name, params.get(name)!.map((v) => v * by));
  scale('blocks.0.mlp.fc1.weight', 50);
  scale('blocks.0.mlp.fc2.weight', 50);
  scale('head.weight', 50);
  params.get('blocks.0.norm2.bias')![0] = 1000;
  const fc1 = params.get('blocks.0.mlp.fc1.weight')!; // [hidden, dim]: column 0 reads channel 0
  for (let r = 0; r < fc1.length / 32; r++) fc1[r * 32] = 0;
  const file = path.join(dir, 'outlier.onnx');
  exportClassifier(file, { model, params, variant: 'vit', backbone: 'vit-test', classes, preprocessing: { ...AUGREG_PREPROCESS, size: 32 }, weightsSource: 'test', trainingRun: null, datasetSha256: null, metrics: [], batchSize: 4 });
  return file;
}

const CLASSES = ['bornite', 'pyrite', 'quartz'];
const decode = (bytes: Uint8Array) => onnxProto.onnx.ModelProto.decode(bytes);
const sha256 = (file: string) => crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');

/** Both files on the same input, in onnxruntime: [fp32 probabilities, int8 probabilities]. */
async function probabilities(files: string[], batch: number, size: number): Promise<Float32Array[]> {
  // Images in the normalised range the preprocessing gives (about −1..1), varied per pixel and per image.
  const x = Float32Array.from({ length: batch * 3 * size * size }, (_, i) => Math.sin(i * 0.37) * Math.cos(i * 0.011));
  const out: Float32Array[] = [];
  for (const f of files) {
    const s = await ort.InferenceSession.create(f);
    const r = await s.run({ images: new ort.Tensor('float32', x, [batch, 3, size, size]) });
    out.push(r.probabilities!.data as Float32Array);
    await s.release();
  }
  return out;
}

test('the tiny MA-ViT: every block Linear layer becomes DynamicQuantizeLinear + MatMulInteger; patch embedding, CBAM and head stay float; standard ops only', () => {
  const dir = tempDir();
  const file = makeTinyClassifier(dir, CLASSES);
  const r = quantizeModel(fs.readFileSync(file), file);
  // qkv is three GEMMs over row blocks of one weight (q's rows pre-scaled): all three are quantized.
  assert.deepEqual([...r.quantized].sort(), ['blocks.0.attn.proj.weight', 'blocks.0.attn.qkv.weight', 'blocks.0.attn.qkv.weight', 'blocks.0.attn.qkv.weight', 'blocks.0.mlp.fc1.weight', 'blocks.0.mlp.fc2.weight']);
  assert.deepEqual(r.keptFloat.map((k) => k.weight).sort(), ['cbam.channel.fc1.weight', 'cbam.channel.fc2.weight', 'head.weight', 'patch_embed.proj.weight']);
  const g = decode(r.bytes).graph!;
  const ops = g.node!.map((n) => n.opType!);
  assert.equal(ops.filter((o) => o === 'MatMulInteger').length, 6);
  assert.equal(ops.filter((o) => o === 'DynamicQuantizeLinear').length, 6);
  // Only the default (standard) domain: any ONNX runtime runs it.
  assert.deepEqual([...new Set(g.node!.map((n) => n.domain ?? ''))], ['']);
  // The float block weights are gone (replaced by int8 initializers); the kept ones are still float.
  const inits = new Map(g.initializer!.map((t) => [t.name!, t.dataType]));
  for (const name of inits.keys()) assert.ok(!/^blocks\.\d+\.(attn\.(qkv|proj)|mlp\.fc\d)\.weight$/.test(name), `float ${name} left in the graph`);
  for (const kept of ['head.weight', 'patch_embed.proj.weight', 'cbam.channel.fc1.weight']) assert.equal(inits.get(kept), onnxProto.onnx.TensorProto.DataType.FLOAT);
  assert.equal([...inits].filter(([n, t]) => n.includes('.int8') && t === onnxProto.onnx.TensorProto.DataType.INT8).length, 6);
  // No Gemm or MatMul reads a block weight any more (the attention MatMuls read activations only).
  const producers = new Map(g.node!.flatMap((n) => n.output!.map((o) => [o, n] as const)));
  // A constant here: an initializer, or what the exporter computes from initializers (Slice, Mul, Reshape).
  const constantFrom = (name: string): string[] | null => {
    if (inits.has(name)) return [name];
    const p = producers.get(name);
    if (!p || !['Slice', 'Mul', 'Reshape', 'Identity'].includes(p.opType!)) return null;
    const parts = p.input!.map(constantFrom);
    return parts.every((x) => x !== null) ? parts.flatMap((x) => x!) : null;
  };
  for (const n of g.node!) {
    if (n.opType !== 'Gemm' && n.opType !== 'MatMul') continue;
    const weight = constantFrom(n.input![1]!) ?? [];
    assert.ok(!weight.some((w) => w.startsWith('blocks.')), `${n.opType} ${n.name} still multiplies by a float block weight (${weight.join(', ')})`);
  }
  // More layers kept in float by name on request.
  const kept = quantizeModel(fs.readFileSync(file), file, { keepFloat: /mlp\.fc2/ });
  assert.equal(kept.quantized.length, 5);
  assert.ok(kept.keptFloat.some((k) => k.weight === 'blocks.0.mlp.fc2.weight'));
  assert.equal(decode(kept.bytes).graph!.node!.filter((n) => n.opType === 'MatMulInteger').length, 5);
  // Smaller: the block weights are one byte per value.
  assert.ok(r.bytes.length < fs.statSync(file).size);
});

test('the int8 graph runs in onnxruntime and its probabilities match fp32 (per-channel and per-tensor scales)', async () => {
  const dir = tempDir();
  const file = makeTinyClassifier(dir, CLASSES, { seed: 3 });
  for (const perChannel of [true, false]) {
    const out = path.join(dir, `int8-${perChannel}.onnx`);
    fs.writeFileSync(out, quantizeModel(fs.readFileSync(file), file, { perChannel }).bytes);
    const [p32, p8] = await probabilities([file, out], 4, 32);
    let max = 0;
    for (let i = 0; i < p32!.length; i++) max = Math.max(max, Math.abs(p32![i]! - p8![i]!));
    // Tolerance: int8 weights and activations of a random-init tiny ViT move a probability by a few 1e-3.
    assert.ok(max < 0.01, `largest probability change ${max} (perChannel ${perChannel})`);
    assert.ok(max > 0, 'the int8 model computes something different from fp32 (it is quantized)');
  }
});

test('symmetric weight quantization: per-channel scales are per output column, zero stays zero, round trip within half a step', () => {
  const k = 3;
  const n = 2;
  const w = Float32Array.of(0.51, -0.011, -1, 0.02, 0.25, 0);
  const { q, scales } = quantizeWeight(w, k, n, true);
  assert.deepEqual(Array.from(scales), [Math.fround(1 / 127), Math.fround(0.02 / 127)]);
  assert.deepEqual(Array.from(q), [65, -70, -127, 127, 32, 0]);
  for (let i = 0; i < w.length; i++) assert.ok(Math.abs(q[i]! * scales[i % n]! - w[i]!) <= scales[i % n]! / 2 + 1e-9);
  const t = quantizeWeight(w, k, n, false);
  assert.equal(t.scales.length, 1);
  assert.equal(t.q[1], -1);
});

test('runQuantize on real JPEGs (a folder): metadata keeps the source description and adds precision int8, the source hash and the measured agreement; the file loads as a model', async () => {
  const dir = tempDir();
  const file = makeTinyClassifier(dir, CLASSES, { seed: 2 });
  const { photos } = await labeledJpegCatalogue(dir, CLASSES, 4);
  const out = path.join(dir, 'model.int8.onnx');
  const r = await runQuantize({ model: file, out, check: { kind: 'folder', dir: photos }, force: true });
  assert.equal(r.agreement!.photos, 12);
  assert.ok(r.agreement!.max_probability_change < 0.02, `largest change ${r.agreement!.max_probability_change}`);
  assert.ok(r.agreement!.accuracy_fp32 !== null && r.agreement!.accuracy_int8 !== null);
  const loaded = readModelFile(out);
  const source = readModelFile(file);
  assert.equal(modelPrecision(loaded.metadata), 'int8');
  assert.equal(modelPrecision(source.metadata), 'fp32');
  assert.equal(loaded.metadata.quantization!.source_sha256, sha256(file));
  assert.deepEqual(loaded.metadata.quantization!.agreement, r.agreement);
  const { precision: _p, quantization: _q, ...rest } = loaded.metadata;
  assert.deepEqual(rest, source.metadata);
  // The props round-trip through decodeModelMetadata as they are stored.
  const props = Object.fromEntries(decode(fs.readFileSync(out)).metadataProps.map((p) => [p.key!, p.value!]));
  assert.equal(props.precision, 'int8');
  assert.deepEqual(decodeModelMetadata(props, out), loaded.metadata);
  // Quantizing it again is refused by name.
  await assert.rejects(runQuantize({ model: out, out: path.join(dir, 'again.onnx'), check: null }), (e: Error) => e.message.includes(out) && /already int8/.test(e.message));
});

test('the guard: below 99% agreement or more than 1 point of accuracy lost is refused (nothing written), and written with a loud warning under --force', async () => {
  assert.equal(guardProblem({ on: 'x', photos: 100, agreement: 0.99, max_probability_change: 0.1, accuracy_fp32: 0.9, accuracy_int8: 0.89 }), null);
  assert.match(guardProblem({ on: 'x', photos: 100, agreement: 0.98, max_probability_change: 0.1, accuracy_fp32: 0.9, accuracy_int8: 0.9 })!, /98\.0% of 100 photos/);
  assert.match(guardProblem({ on: 'x', photos: 100, agreement: 1, max_probability_change: 0.1, accuracy_fp32: 0.9, accuracy_int8: 0.88 })!, /drops by 2\.0 points/);
  // compareScores over scored items: one of three predictions flips, one labeled photo goes wrong.
  const s = (specimenId: number, classIndex: number, probabilities: number[]) => ({ specimenId, classIndex, probabilities });
  const a = compareScores([s(1, 0, [0.6, 0.4]), s(2, 1, [0.3, 0.7]), s(3, 0, [0.9, 0.1])], [s(1, 0, [0.45, 0.55]), s(2, 1, [0.3, 0.7]), s(3, 0, [0.85, 0.15])], new Set([1, 2]), 'test');
  assert.equal(a.agreement, 2 / 3);
  assert.ok(Math.abs(a.max_probability_change - 0.15) < 1e-12);
  assert.deepEqual([a.accuracy_fp32, a.accuracy_int8], [1, 0.5]);

  // Through the CLI on a real catalogue of JPEGs (its train split: the most photos of the small catalogue).
  const dir = tempDir();
  const file = makeTinyClassifier(dir, CLASSES, { seed: 5 });
  const { file: db } = await labeledJpegCatalogue(dir, CLASSES, 10);
  const out = path.join(dir, 'm.int8.onnx');
  const run = await runCliInProcess(['quantize', '--model', file, '--out', out, '--db', db, '--split', 'train', '--json']);
  // A model that quantizes well (this one agrees on every photo): written, with its figures.
  assert.equal(run.status, 0, run.stderr);
  const passed = JSON.parse(run.stdout) as { agreement: { agreement: number; photos: number; on: string } };
  assert.ok(passed.agreement.agreement >= 0.99 && passed.agreement.photos > 0);
  assert.equal(passed.agreement.on, 'catalogue split train');
  assert.ok(fs.existsSync(out));
  // A model int8 breaks: refused, nothing written; with --force written, with the warning.
  const bad = makeOutlierClassifier(dir, CLASSES);
  const badOut = path.join(dir, 'outlier.int8.onnx');
  const refused = await runCliInProcess(['quantize', '--model', bad, '--out', badOut, '--db', db, '--split', 'train']);
  assert.equal(refused.status, 1, refused.stdout + refused.stderr);
  assert.match(refused.stderr, /refused to write .*outlier\.int8\.onnx: the int8 model agrees with its source on \d+\.\d% of \d+ photos \(at least 99% needed\)/);
  assert.ok(!fs.existsSync(badOut));
  const forced = await runCliInProcess(['quantize', '--model', bad, '--out', badOut, '--db', db, '--split', 'train', '--force']);
  assert.equal(forced.status, 0, forced.stderr);
  assert.ok(fs.existsSync(badOut));
  assert.match(forced.stdout, /checked on \d+ photos \(catalogue split train\): agreement/);
  assert.match(forced.stderr, /WARNING: written only because of --force: the int8 model agrees/);
  assert.ok(readModelFile(badOut).metadata.quantization!.agreement!.agreement < 0.99);
});

test('bad input: a corrupt file, a non-model, a graph without Linear layers, a foreign float model (quantized, unchecked)', async () => {
  const dir = tempDir();
  const corrupt = path.join(dir, 'corrupt.onnx');
  fs.writeFileSync(corrupt, Buffer.from('this is not protobuf at all \u0000\u00ff\u00fe'));
  const r1 = await runCliInProcess(['quantize', '--model', corrupt, '--out', path.join(dir, 'o1.onnx')]);
  assert.equal(r1.status, 1);
  assert.match(r1.stderr, new RegExp(`${corrupt.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: not an ONNX model`));

  const missing = await runCliInProcess(['quantize', '--model', path.join(dir, 'nope.onnx'), '--out', path.join(dir, 'o2.onnx')]);
  assert.equal(missing.status, 1);
  assert.match(missing.stderr, /nope\.onnx: cannot read the model \(ENOENT\)/);

  // A foreign graph: Relu only (no Linear layer): refused, naming the file.
  const g1 = new GraphBuilder('foreign');
  g1.output(op.relu(g1.input('x', 'float32', [2, 4])), 'y');
  const noLinear = path.join(dir, 'relu.onnx');
  fs.writeFileSync(noLinear, encodeModel(g1));
  const r3 = await runCliInProcess(['quantize', '--model', noLinear, '--out', path.join(dir, 'o3.onnx')]);
  assert.equal(r3.status, 1);
  assert.match(r3.stderr, /relu\.onnx: the model has no Linear layer to quantize/);

  // A foreign float model with two MatMuls on constant weights: the inner one is quantized, the last (its head) kept.
  const g2 = new GraphBuilder('foreign2');
  const x = g2.input('x', 'float32', [2, 8]);
  const w1 = g2.initializer('w1', 'float32', [8, 16], Float32Array.from({ length: 128 }, (_, i) => Math.sin(i)));
  const w2 = g2.initializer('w2', 'float32', [16, 3], Float32Array.from({ length: 48 }, (_, i) => Math.cos(i)));
  g2.output(op.matmul(op.relu(op.matmul(x, w1)), w2), 'y');
  const foreign = path.join(dir, 'foreign.onnx');
  fs.writeFileSync(foreign, encodeModel(g2));
  const out = path.join(dir, 'foreign.int8.onnx');
  const r4 = await runCliInProcess(['quantize', '--model', foreign, '--out', out, '--json']);
  assert.equal(r4.status, 0, r4.stderr);
  const res = JSON.parse(r4.stdout) as { quantized: string[]; keptFloat: { weight: string }[]; foreign: boolean; agreement: null };
  assert.deepEqual([res.quantized, res.keptFloat.map((k) => k.weight), res.foreign, res.agreement], [['w1'], ['w2'], true, null]);
  const xv = Float32Array.from({ length: 16 }, (_, i) => (i % 5) - 2);
  const ys: Float32Array[] = [];
  for (const f of [foreign, out]) ys.push((await (await ort.InferenceSession.create(f)).run({ x: new ort.Tensor('float32', xv, [2, 8]) })).y!.data as Float32Array);
  const scale = Math.max(...ys[0]!.map(Math.abs));
  ys[0]!.forEach((v, i) => assert.ok(Math.abs(v - ys[1]![i]!) < 0.02 * scale, `y[${i}] ${v} vs ${ys[1]![i]}`));
  // --check on a foreign model cannot run: it has no preprocessing.
  const r5 = await runCliInProcess(['quantize', '--model', foreign, '--out', path.join(dir, 'o5.onnx'), '--check', dir]);
  assert.equal(r5.status, 1);
  assert.match(r5.stderr, /not an Orelab classifier, so its agreement cannot be checked/);
});
