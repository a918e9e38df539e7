// The architecture registry: every entry's presets, declared parameters (unique, all read by the forward),
// the no-decay rule, FLOPs, the pretrained-weights adapter against the pre-registry code's results, and the
// errors for unknown names. The expected digests and FLOP counts were computed with the code before the
// registry (commit 393ae16), so "identical to before" is checked, not just self-consistency.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import path from 'node:path';
import {
  GraphBuilder,
  ModelRegistryError,
  decayMatricesOnly,
  defineModel,
  fitPretrained,
  forwardFlopsPerImage,
  getArchitecture,
  listArchitectures,
  mavitArchitecture,
  paramCount,
  presetModel,
  readNpz,
  readSafetensors,
  registerArchitecture,
  toTimmVit,
  trainingFlopsPerImage,
  vitArchitecture,
  vitConfig,
  type ModelConfig,
  type ModelDefinition,
  type TensorMap,
  type VitPreset,
} from '../../src/main/engine/index';
import { REPO_ROOT } from '../helpers/fs';

/** Every value name some node of `model.forward` reads, in the training form (with DropPath) or forward-only. */
function inputsReadByForward(model: ModelDefinition, training: boolean): Set<string> {
  const g = new GraphBuilder('probe');
  const P = new Map(model.params.map((p) => [p.name, g.input(p.name, 'float32', p.shape)]));
  const images = g.input('images', 'float32', [2, ...model.inputShape]);
  const masks = g.input('drop_masks', 'float32', [Math.max(model.dropPathRates.length, 1), 2]);
  model.forward(P, images, training ? { training: true, dropMasks: masks } : { training: false });
  return new Set(g.nodes.flatMap((n) => n.inputs));
}

test('the registry has the vit and mavit entries, each listing its presets (ViT-Ti, ViT-S, ViT-B at 224, patch 16)', () => {
  assert.deepEqual(listArchitectures(), ['mavit', 'vit']);
  for (const name of listArchitectures()) {
    const entry = getArchitecture(name);
    assert.equal(entry.name, name);
    assert.ok(entry.description.length > 0, `${name}: description`);
    assert.deepEqual(entry.presetNames, ['vit-ti', 'vit-s', 'vit-b'], `${name}: presets`);
    assert.deepEqual(entry.presetNames, Object.keys(entry.presets));
    for (const preset of entry.presetNames) assert.equal(entry.preset(preset), entry.presets[preset]);
  }
  const dims = vitArchitecture.presetNames.map((p) => vitArchitecture.preset(p));
  assert.deepEqual(dims, [
    { dim: 192, depth: 12, heads: 3, patchSize: 16, imageSize: 224 },
    { dim: 384, depth: 12, heads: 6, patchSize: 16, imageSize: 224 },
    { dim: 768, depth: 12, heads: 12, patchSize: 16, imageSize: 224 },
  ]);
});

test('every entry and preset: parameter names are unique and every declared parameter is read by the forward', () => {
  for (const name of listArchitectures()) {
    const entry = getArchitecture(name);
    for (const preset of entry.presetNames) {
      const what = `${name}/${preset}`;
      const model = entry.create(preset, 5);
      const names = model.params.map((p) => p.name);
      assert.equal(new Set(names).size, names.length, `${what}: duplicate parameter names`);
      assert.equal(model.kind, name);
      assert.deepEqual(entry.params(entry.config(preset, 5)), model.params, `${what}: params() is the built model's list`);
      // The probe map holds only declared parameters, so a forward reading an undeclared one would throw.
      for (const training of [true, false]) {
        const read = inputsReadByForward(model, training);
        const unread = names.filter((n) => !read.has(n));
        assert.deepEqual(unread, [], `${what} (${training ? 'training' : 'forward-only'} form): declared but never read`);
      }
    }
  }
});

test('ViT-S is a preset of the one vit entry: timm parameter counts, and the old entry points give the same model', () => {
  // timm's vit_{tiny,small,base}_patch16_224 with 1000 classes.
  const expected: Record<VitPreset, number> = { 'vit-ti': 5_717_416, 'vit-s': 22_050_664, 'vit-b': 86_567_656 };
  for (const preset of Object.keys(expected) as VitPreset[]) {
    const model = vitArchitecture.create(preset, 1000);
    assert.equal(paramCount(model), expected[preset], preset);
    const viaWrapper = presetModel('vit', preset, 1000);
    const viaConfig = defineModel({ variant: 'vit', vit: vitConfig(preset, 1000) });
    assert.deepEqual(viaWrapper.params, model.params);
    assert.deepEqual(viaWrapper.config, model.config);
    assert.deepEqual(viaConfig.params, model.params);
  }
  const s = vitArchitecture.create('vit-s', 7).config as unknown as ModelConfig;
  assert.deepEqual([s.vit.dim, s.vit.depth, s.vit.heads, s.vit.patchSize, s.vit.imageSize], [384, 12, 6, 16, 224]);
});

test('MA-ViT is the CBAM pre-filter composed on the vit entry: the CBAM parameters, then the ViT of the same config', () => {
  const mavit = mavitArchitecture.create('vit-s', 7);
  const vit = vitArchitecture.create('vit-s', 7);
  const cbam = mavit.params.slice(0, 6);
  assert.deepEqual(
    cbam.map((p) => p.name),
    ['cbam.channel.fc1.weight', 'cbam.channel.fc1.bias', 'cbam.channel.fc2.weight', 'cbam.channel.fc2.bias', 'cbam.spatial.conv.weight', 'cbam.spatial.conv.bias'],
  );
  assert.deepEqual(mavit.params.slice(6), vit.params);
  assert.deepEqual(mavit.dropPathRates, vit.dropPathRates);
  assert.deepEqual(mavit.config, { variant: 'mavit', vit: (vit.config as unknown as ModelConfig).vit, cbam: { channels: 3, hidden: 8, kernel: 7, gate: 'residual' } });
});

test('the no-decay rule picks exactly biases, norms, pos_embed and cls_token (ViT-Ti), as the regex it replaced did', () => {
  const model = vitArchitecture.create('vit-ti', 7);
  const expected = ['cls_token', 'pos_embed', 'patch_embed.proj.bias'];
  for (let i = 0; i < 12; i++) {
    const b = `blocks.${i}`;
    expected.push(`${b}.norm1.weight`, `${b}.norm1.bias`, `${b}.attn.qkv.bias`, `${b}.attn.proj.bias`, `${b}.norm2.weight`, `${b}.norm2.bias`, `${b}.mlp.fc1.bias`, `${b}.mlp.fc2.bias`);
  }
  expected.push('norm.weight', 'norm.bias', 'head.bias');
  assert.deepEqual(model.params.filter((p) => model.noDecay(p.name)).map((p) => p.name), expected);

  // optim/adamw.ts's name regex before the registry, over MA-ViT (CBAM's biases included) and every preset.
  const retired = /(\.bias|norm\d*\.weight|^norm\.weight|pos_embed|cls_token)$/;
  for (const preset of mavitArchitecture.presetNames) {
    const m = mavitArchitecture.create(preset, 7);
    for (const p of m.params) assert.equal(m.noDecay(p.name), retired.test(p.name), `${preset}: ${p.name}`);
    const wd = decayMatricesOnly(0.05, m);
    for (const p of m.params) assert.equal(wd(p.name), retired.test(p.name) ? 0 : 0.05);
  }
  assert.throws(() => model.noDecay('blocks.12.norm1.weight'), /model "vit" has no parameter "blocks\.12\.norm1\.weight"/);
});

test('FLOPs: ViT-Ti/16 at 224 is ~1.26 G multiply-adds (timm\'s "1.26 GFLOPs"), the same numbers as flops.ts gave', () => {
  // Counted at 2 FLOPs per multiply-add; timm/fvcore's "GFLOPs" for vit_tiny_patch16_224 count multiply-adds.
  const ti = vitArchitecture.config('vit-ti', 1000);
  assert.equal(vitArchitecture.flops(ti), 2_507_366_400);
  assert.ok(Math.abs(vitArchitecture.flops(ti) / 2 / 1e9 - 1.26) < 0.01);
  assert.equal(forwardFlopsPerImage(ti), 2_507_366_400);
  assert.equal(vitArchitecture.flops(vitArchitecture.config('vit-s', 1000)), 9_197_764_608);
  assert.equal(vitArchitecture.flops(vitArchitecture.config('vit-b', 1000)), 35_127_656_448);
  // The benchmark's model: MA-ViT-Ti, 7 classes, 7.55 GFLOP per training image.
  const mavit = mavitArchitecture.config('vit-ti', 7);
  assert.equal(mavitArchitecture.flops(mavit), 2_516_819_776);
  assert.equal(trainingFlopsPerImage(mavit), 7_550_459_328);
});

function digest(t: TensorMap): string {
  const h = crypto.createHash('sha256');
  for (const [name, v] of t) h.update(`${name}${JSON.stringify(v.shape)}`).update(new Uint8Array(v.data.buffer, v.data.byteOffset, v.data.byteLength));
  return h.digest('hex');
}

test('the weights adapter maps the fixture weights (timm, Hugging Face, Google .npz) exactly as before the registry', () => {
  const F = path.join(REPO_ROOT, 'test/fixtures/weights');
  const sources: Record<string, TensorMap> = {
    timm: readSafetensors(path.join(F, 'tiny_timm.safetensors')).tensors,
    hf: readSafetensors(path.join(F, 'tiny_hf.safetensors')).tensors,
    google: readNpz(path.join(F, 'tiny_google.npz')),
  };
  // From the pre-registry toTimmVit + fitPretrained (tensor names, order, shapes and values).
  const before: Record<string, { ignored: string[]; converted: string; fit: string }> = {
    timm: { ignored: [], converted: 'cc55f02fb9a9f3c21d1c32fc98a46e42c14ba8eeb975fb0ae6a75a046652a711', fit: 'e3f2af05bbfd532719726ffaf7507ac4c21773bb8cdc85fb388444ff38e21abf' },
    hf: { ignored: ['vit.pooler.dense.weight'], converted: 'd1e1f644865c0835fcf929ef12fb711db37e2cc52a1c3e2dcad67b61baabba78', fit: 'f842d9d1948fc60ac31d8c718fe4251ad67a35791fa5b98bde87b276b7a42767' },
    google: { ignored: ['pre_logits/kernel'], converted: '4c43c9c3d954176d30683503b94033e9b65babf64101993bde562784b497ce5d', fit: 'ff02590b8d036994b723b351660f2e164b282d92d80d25d8748b2c51e5cabdac' },
  };
  for (const [layout, src] of Object.entries(sources)) {
    const c = mavitArchitecture.weights.convert(src);
    assert.equal(c.layout, layout);
    assert.deepEqual(c.ignored, before[layout]!.ignored, `${layout}: ignored`);
    assert.equal(digest(c.tensors), before[layout]!.converted, `${layout}: converted tensors`);
    assert.equal(digest(vitArchitecture.weights.convert(src).tensors), before[layout]!.converted);
    assert.equal(digest(toTimmVit(src).tensors), before[layout]!.converted);

    // A model with a new 7-class head, a CBAM parameter and a 3×3 patch grid (pos_embed resampled).
    const params = [...c.tensors.entries()].filter(([n]) => !n.startsWith('head.')).map(([name, t]) => ({ name, shape: name === 'pos_embed' ? [1, 10, t.shape[2]!] : t.shape }));
    params.push({ name: 'head.weight', shape: [7, 8] }, { name: 'head.bias', shape: [7] }, { name: 'cbam.spatial.conv.weight', shape: [1, 2, 7, 7] });
    for (const fit of [mavitArchitecture.weights.fit(c.tensors, params), fitPretrained(c.tensors, params)]) {
      assert.equal(digest(fit.values), before[layout]!.fit, `${layout}: fitted values`);
      assert.deepEqual(fit.initialised, ['head.weight', 'head.bias', 'cbam.spatial.conv.weight']);
      assert.deepEqual(fit.resized, ['pos_embed']);
      assert.deepEqual(fit.unused, []);
    }
    const all = [...c.tensors.entries()].map(([name, t]) => ({ name, shape: t.shape }));
    const keep = mavitArchitecture.weights.fit(c.tensors, all, { keepHead: true });
    assert.equal(digest(keep.values), before[layout]!.converted, `${layout}: keepHead`);
    assert.deepEqual(keep.initialised, []);
    // A plain ViT has no pre-filter: a CBAM parameter is a tensor the weights lack, not a new one.
    assert.throws(() => vitArchitecture.weights.fit(c.tensors, params), /the pretrained weights have no tensor "cbam\.spatial\.conv\.weight"/);
  }
});

test('an unknown architecture or preset is an error naming it and listing the known ones', () => {
  const known = (err: unknown, re: RegExp) => err instanceof ModelRegistryError && re.test(err.message);
  assert.throws(() => getArchitecture('resnet50'), (e) => known(e, /unknown architecture "resnet50"; known architectures: mavit, vit$/));
  assert.throws(() => vitArchitecture.create('vit-l', 7), (e) => known(e, /unknown preset "vit-l" of architecture "vit"; known presets: vit-ti, vit-s, vit-b$/));
  assert.throws(() => getArchitecture('mavit').config('vit-h', 7), (e) => known(e, /unknown preset "vit-h" of architecture "mavit"; known presets: vit-ti, vit-s, vit-b$/));
  // The old entry points go through the same lookups.
  assert.throws(() => vitConfig('vit-l' as VitPreset, 7), (e) => known(e, /unknown preset "vit-l" of architecture "vit"/));
  assert.throws(() => presetModel('mavit', 'vit-l' as VitPreset, 7), (e) => known(e, /unknown preset "vit-l" of architecture "mavit"/));
  assert.throws(() => defineModel({ variant: 'resnet50' } as unknown as ModelConfig), (e) => known(e, /unknown architecture "resnet50"; known architectures: mavit, vit/));
  // An entry builds only its own configs; a name is registered once.
  assert.throws(() => vitArchitecture.build(mavitArchitecture.config('vit-ti', 7) as never), (e) => known(e, /architecture "vit" cannot build a config of "mavit"/));
  const duplicate = {
    description: 'a second vit',
    presets: { tiny: {} },
    config: () => ({ variant: 'vit' }),
    define: () => {
      throw new Error('never built');
    },
    flops: () => 0,
    weights: vitArchitecture.weights,
  };
  assert.throws(() => registerArchitecture('vit', duplicate), (e) => known(e, /architecture "vit" is already registered/));
  assert.deepEqual(listArchitectures(), ['mavit', 'vit']);
});
