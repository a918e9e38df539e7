import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { readSafetensors, writeSafetensors } from '../../src/main/engine/pretrained/safetensors';
import { readNpz } from '../../src/main/engine/pretrained/npz';
import { toTimmVit } from '../../src/main/engine/pretrained/vit-names';
import { fitPretrained, resamplePositionEmbedding } from '../../src/main/engine/pretrained/fit';
import type { TensorMap } from '../../src/main/engine/pretrained/tensor-file';
import { REPO_ROOT, tempDir } from '../helpers/fs';

const FIXTURES = path.join(REPO_ROOT, 'test/fixtures/weights');
const SHARED_VIT = path.resolve(REPO_ROOT, '../shared/weights/vit_tiny_patch16_224_augreg_in1k/vit_tiny_patch16_224.safetensors');

function assertSameTensors(actual: TensorMap, expected: TensorMap, what: string) {
  assert.deepEqual([...actual.keys()].sort(), [...expected.keys()].sort(), `${what}: tensor names`);
  for (const [name, e] of expected) {
    const a = actual.get(name)!;
    assert.deepEqual(a.shape, e.shape, `${what}: ${name} shape`);
    assert.deepEqual(a.data, e.data, `${what}: ${name} values`);
  }
}

test('timm, Hugging Face and Google .npz layouts import to the same timm tensors', () => {
  const timm = toTimmVit(readSafetensors(path.join(FIXTURES, 'tiny_timm.safetensors')).tensors);
  const hf = toTimmVit(readSafetensors(path.join(FIXTURES, 'tiny_hf.safetensors')).tensors);
  const google = toTimmVit(readNpz(path.join(FIXTURES, 'tiny_google.npz')));
  assert.equal(timm.layout, 'timm');
  assert.equal(hf.layout, 'hf');
  assert.equal(google.layout, 'google');
  assertSameTensors(hf.tensors, timm.tensors, 'hf');
  assertSameTensors(google.tensors, timm.tensors, 'google');
  assert.deepEqual(hf.ignored, ['vit.pooler.dense.weight']);
  assert.deepEqual(google.ignored, ['pre_logits/kernel']);
});

test('the shared ViT-Ti/16 safetensors reads with timm names and shapes', () => {
  const { tensors } = readSafetensors(SHARED_VIT);
  const vit = toTimmVit(tensors);
  assert.equal(vit.tensors.size, 152);
  assert.deepEqual(vit.tensors.get('blocks.11.attn.qkv.weight')!.shape, [576, 192]);
  assert.deepEqual(vit.tensors.get('pos_embed')!.shape, [1, 197, 192]);
  const params = [...vit.tensors.values()].reduce((a, t) => a + t.data.length, 0);
  assert.equal(params, 5_717_416);
});

test('fitting replaces the head, keeps CBAM initialised, and names a mismatched tensor', () => {
  const { tensors } = toTimmVit(readSafetensors(path.join(FIXTURES, 'tiny_timm.safetensors')).tensors);
  const params = [...tensors.entries()].filter(([n]) => !n.startsWith('head.')).map(([name, t]) => ({ name, shape: t.shape }));
  params.push({ name: 'head.weight', shape: [7, 8] }, { name: 'head.bias', shape: [7] }, { name: 'cbam.spatial.conv.weight', shape: [1, 2, 7, 7] });
  const fit = fitPretrained(tensors, params);
  assert.deepEqual(fit.initialised.sort(), ['cbam.spatial.conv.weight', 'head.bias', 'head.weight']);
  assert.equal(fit.values.size, params.length - 3);
  assert.deepEqual(fit.unused, []);

  const wrong = params.map((p) => (p.name === 'blocks.1.mlp.fc1.weight' ? { ...p, shape: [32, 8] } : p));
  assert.throws(() => fitPretrained(tensors, wrong), /pretrained tensor "blocks\.1\.mlp\.fc1\.weight" has shape \[16, 8\], but the model expects \[32, 8\]/);
  const deeper = [...params, { name: 'blocks.2.norm1.weight', shape: [8] }];
  assert.throws(() => fitPretrained(tensors, deeper), /no tensor "blocks\.2\.norm1\.weight"/);
});

test('position embeddings are resampled bicubically like timm/PyTorch when the grid differs', () => {
  const { tensors } = toTimmVit(readSafetensors(path.join(FIXTURES, 'tiny_timm.safetensors')).tensors);
  const fixture = JSON.parse(fs.readFileSync(path.join(FIXTURES, 'pos_embed_resample.json'), 'utf8')) as { to_tokens: number; expected: number[] };
  const out = resamplePositionEmbedding(tensors.get('pos_embed')!, fixture.to_tokens);
  assert.deepEqual(out.shape, [1, 10, 8]);
  for (let i = 0; i < fixture.expected.length; i++) assert.ok(Math.abs(out.data[i]! - fixture.expected[i]!) < 1e-5, `element ${i}`);
  const same = resamplePositionEmbedding(tensors.get('pos_embed')!, 5);
  for (let i = 0; i < same.data.length; i++) assert.ok(Math.abs(same.data[i]! - tensors.get('pos_embed')!.data[i]!) < 1e-6);
});

test('safetensors written by Orelab read back identically; a bad file gets an error naming it', () => {
  const { tensors } = readSafetensors(path.join(FIXTURES, 'tiny_timm.safetensors'));
  const file = path.join(tempDir(), 'out.safetensors');
  writeSafetensors(file, tensors, { source: 'test' });
  const back = readSafetensors(file);
  assertSameTensors(back.tensors, tensors, 'round trip');
  assert.equal(back.metadata.source, 'test');
  const bad = path.join(tempDir(), 'bad.safetensors');
  fs.writeFileSync(bad, 'hello world, not weights');
  assert.throws(() => readSafetensors(bad), /bad\.safetensors: not a safetensors file/);
  assert.throws(() => readNpz(bad), /bad\.safetensors: not an \.npz/);
});
