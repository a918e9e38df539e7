import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { presetModel } from '../../src/main/engine/models/mavit';
import { buildForwardGraph, forwardNames } from '../../src/main/engine/export/forward';
import { readSafetensors } from '../../src/main/engine/pretrained/safetensors';
import { toTimmVit } from '../../src/main/engine/pretrained/vit-names';
import { fitPretrained } from '../../src/main/engine/pretrained/fit';
import { REPO_ROOT } from '../helpers/fs';

const WEIGHTS_DIR = path.resolve(REPO_ROOT, '../shared/weights/vit_tiny_patch16_224_augreg_in1k');

interface Reference {
  top5_index: number[];
  top5_logit: number[];
  logits_first5: number[];
}

test('ViT-Ti/16 with the pretrained weights reproduces the reference top-5 and logits (1e-3)', async () => {
  const refs = JSON.parse(fs.readFileSync(path.join(WEIGHTS_DIR, 'reference_outputs.json'), 'utf8')) as Record<'zeros' | 'sin_pattern', Reference>;
  // The shipped default backbone is the same file, byte for byte.
  const shipped = path.join(REPO_ROOT, 'resources/models/vit_tiny_patch16_224_augreg_in1k.safetensors');
  assert.deepEqual(fs.readFileSync(shipped), fs.readFileSync(path.join(WEIGHTS_DIR, 'vit_tiny_patch16_224.safetensors')));

  const model = presetModel('vit', 'vit-ti', 1000, { vit: { dropPathRate: 0 } });
  const fit = fitPretrained(toTimmVit(readSafetensors(shipped).tensors).tensors, model.params, { keepHead: true });
  assert.deepEqual(fit.initialised, []);
  const params = new Map([...fit.values].map(([name, t]) => [name, t.data]));
  const session = await ort.InferenceSession.create(buildForwardGraph(model, { batchSize: 2, params }), { intraOpNumThreads: 2 });

  const plane = 224 * 224;
  const input = new Float32Array(2 * 3 * plane); // image 0: zeros; image 1: the sine pattern
  for (let c = 0; c < 3; c++)
    for (let h = 0; h < 224; h++) for (let w = 0; w < 224; w++) input[3 * plane + c * plane + h * 224 + w] = 0.8 * Math.sin(0.05 * w + 0.07 * h + 1.3 * c);
  const out = await session.run({ [forwardNames.images]: new ort.Tensor('float32', input, [2, 3, 224, 224]) });
  const logits = out[forwardNames.logits]!.data as Float32Array;
  (['zeros', 'sin_pattern'] as const).forEach((name, i) => {
    const row = Array.from(logits.subarray(i * 1000, (i + 1) * 1000));
    const top5 = row.map((v, k) => [v, k] as const).sort((a, b) => b[0] - a[0]).slice(0, 5);
    assert.deepEqual(top5.map(([, k]) => k), refs[name].top5_index, `${name}: top-5 indices`);
    top5.forEach(([v], k) => assert.ok(Math.abs(v - refs[name].top5_logit[k]!) < 1e-3, `${name}: top-5 logit ${k}: ${v} vs ${refs[name].top5_logit[k]}`));
    refs[name].logits_first5.forEach((v, k) => assert.ok(Math.abs(row[k]! - v) < 1e-3, `${name}: logit ${k}: ${row[k]} vs ${v}`));
  });
  await session.release();
});
