// The model file's metadata says backbone, pre-filter and loss weighting apart (format 2). Files written
// before (format 1, `architecture.variant` + `cbam_gate`) must still load, read the same way.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeModelMetadata, encodeModelMetadata, MODEL_FORMAT, MODEL_FORMAT_V1, modelVariant, type ModelMetadata } from '../../src/shared/model-metadata';

function v2(prefilter: ModelMetadata['architecture']['prefilter'], weighting: 'none' | 'inverse' | 'effective', loss = 'weighted cross-entropy'): ModelMetadata {
  return {
    format: MODEL_FORMAT,
    classes: ['biotite', 'quartz'],
    preprocessing: { size: 224, crop_fraction: 0.9, mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5], color: 'RGB', layout: 'NCHW' },
    architecture: { backbone: 'vit-ti', prefilter, parameters: 5_500_000, config: { depth: 12 } },
    weights_source: 'test',
    training_run: {
      run_id: 3,
      started_at: '2026-11-01T00:00:00.000Z',
      finished_at: null,
      epochs: 30,
      best_epoch: 12,
      batch_size: 32,
      learning_rate: 3e-5,
      weight_decay: 0.01,
      seed: 0,
      loss,
      weighting,
      class_weights: [1.5, 0.75],
      device: 'cpu',
    },
    dataset_sha256: null,
    metrics: [],
    outputs: { logits: 'logits', probabilities: 'probabilities', attention: prefilter === 'none' ? null : 'spatial_attention' },
    input: 'images',
  };
}

/** The same metadata as an Orelab of format 1 wrote it. */
function asV1(m: ModelMetadata, variant: string, gate: string | null): Record<string, string> {
  const props = encodeModelMetadata(m);
  const { prefilter: _prefilter, ...arch } = m.architecture;
  const { weighting: _weighting, ...run } = m.training_run!;
  return { ...props, format: MODEL_FORMAT_V1, architecture: JSON.stringify({ variant, ...arch, cbam_gate: gate }), training_run: JSON.stringify(run) };
}

test('format 2 round-trips; the app names the kind from pre-filter and weighting', () => {
  for (const [prefilter, weighting, kind] of [
    ['cbam-residual', 'inverse', 'mavit'],
    ['cbam-plain', 'effective', 'mavit'],
    ['none', 'inverse', 'vit-weighted'],
    ['none', 'none', 'vit'],
  ] as const) {
    const m = v2(prefilter, weighting);
    const back = decodeModelMetadata(encodeModelMetadata(m), 'm.onnx');
    assert.deepEqual(back, m);
    assert.equal(modelVariant(back), kind);
  }
});

test('a format-1 file loads as format 2: variant and cbam_gate become prefilter, the weighting moves to the run', () => {
  const cases = [
    { variant: 'mavit', gate: 'residual', expect: v2('cbam-residual', 'inverse') },
    { variant: 'mavit', gate: 'plain', expect: v2('cbam-plain', 'inverse') },
    { variant: 'vit-weighted', gate: null, expect: v2('none', 'inverse') },
    { variant: 'vit', gate: null, expect: v2('none', 'none') },
    { variant: 'vit-weighted', gate: null, expect: v2('none', 'effective', 'effective-number weighted cross-entropy') },
  ];
  for (const c of cases) {
    const decoded = decodeModelMetadata(asV1(c.expect, c.variant, c.gate), 'old.onnx');
    assert.deepEqual(decoded, c.expect, `${c.variant} ${c.gate}`);
  }
});

test('a format-1 variant that never existed, or an unknown format, is refused, naming the file and field', () => {
  const props = asV1(v2('none', 'none'), 'resnet', null);
  assert.throws(() => decodeModelMetadata(props, 'old.onnx'), /old\.onnx: metadata "architecture\.variant" must be mavit, vit or vit-weighted in a format-1 file, got "resnet"/);
  assert.throws(() => decodeModelMetadata({ ...props, format: 'orelab-classifier/9' }, 'new.onnx'), /new\.onnx: metadata "format"/);
});
