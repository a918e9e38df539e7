// A model file is input from outside: its metadata must not be able to steer photos out of the sort folder or
// disagree with its own graph. These models are real exports (makeTinyClassifier), then edited the way a
// crafted or damaged file would be: the ONNX protobuf is decoded, its metadata_props (or a declared output
// shape) rewritten, and encoded again. Nothing in Orelab's own validation is involved in writing them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import crypto from 'node:crypto';
import onnxProto from 'onnx-proto';
import { OnnxClassifier } from '../../src/main/jobs/inference/classifier';
import { ModelFileError } from '../../src/main/jobs/inference/model-file';
import { ModelMetadataError } from '../../src/shared/model-metadata';
import { tempDir } from '../helpers/fs';
import { makeTinyClassifier } from '../helpers/model';
import { makeJpeg } from '../helpers/images';
import { runOrelab } from '../helpers/cli';

const SEVEN = ['biotite', 'bornite', 'chrysocolla', 'malachite', 'muscovite', 'pyrite', 'quartz'];

/** Writes a copy of a real model with its metadata_props edited (values are the raw strings stored in the file). */
function craft(source: string, out: string, edit: (props: Record<string, string>, model: onnxProto.onnx.ModelProto) => void): string {
  const model = onnxProto.onnx.ModelProto.decode(fs.readFileSync(source));
  const props: Record<string, string> = {};
  for (const p of model.metadataProps) if (p.key) props[p.key] = p.value ?? '';
  edit(props, model);
  model.metadataProps = Object.entries(props).map(([key, value]) => onnxProto.onnx.StringStringEntryProto.create({ key, value }));
  fs.writeFileSync(out, onnxProto.onnx.ModelProto.encode(model).finish());
  return out;
}

const withClasses = (classes: string[]) => (props: Record<string, string>) => {
  props.classes = JSON.stringify(classes);
};
const withPreprocessing = (change: Record<string, unknown>) => (props: Record<string, string>) => {
  props.preprocessing = JSON.stringify({ ...(JSON.parse(props.preprocessing!) as object), ...change });
};

/**
 * Opens a model that must be refused and checks the error. A model that opens after all is closed before
 * failing, so that its worker threads do not keep the test process alive.
 */
async function assertRefused(file: string, check: (err: unknown) => boolean, what = file): Promise<void> {
  let classifier: OnnxClassifier;
  try {
    classifier = await OnnxClassifier.open(file, { workers: 1 });
  } catch (err) {
    assert.ok(check(err), `${what}: unexpected error: ${String(err)}`);
    return;
  }
  await classifier.close();
  assert.fail(`${what}: the model was opened, not refused`);
}

/** Every file and folder under `dir` with its content hash: a change anywhere shows as a difference. */
function snapshot(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const rel of (fs.readdirSync(dir, { recursive: true }) as string[]).sort()) {
    const p = path.join(dir, rel);
    const st = fs.lstatSync(p);
    out.set(rel, st.isFile() ? crypto.createHash('sha256').update(fs.readFileSync(p)).digest('hex') : st.isDirectory() ? 'dir' : 'other');
  }
  return out;
}

async function photoFolder(dir: string, count: number): Promise<string> {
  fs.mkdirSync(dir, { recursive: true });
  for (let i = 0; i < count; i++) fs.writeFileSync(path.join(dir, `photo-${i}.jpg`), await makeJpeg(i + 1));
  return dir;
}

test('a model whose class names would leave the sort folder is refused before any photo is touched', async () => {
  const work = tempDir();
  const models = path.join(tempDir(), 'models'); // outside `work`, so the snapshot covers photos and targets only
  fs.mkdirSync(models);
  const real = makeTinyClassifier(models, ['pyrite', 'quartz'], { variant: 'vit' });
  await photoFolder(path.join(work, 'photos'), 3);
  // The sort folder sits two levels down, so "../../x" would land inside `work`, where the snapshot sees it.
  const target = path.join(work, 'sort', 'deep', 'D');
  const before = snapshot(work);
  const cases: [string[], string][] = [
    [['pyrite', '../../x'], '"../../x"'],
    [['pyrite', '/etc/x'], '"/etc/x"'],
    [['pyrite', 'a/b'], '"a/b"'],
    [['pyrite', '.'], '"."'],
    [['pyrite', '..'], '".."'],
    [['pyrite', 'CON'], '"CON"'],
    [['Quartz', 'quartz'], '"Quartz" and "quartz" differ only in case'],
  ];
  for (const [i, [classes, named]] of cases.entries()) {
    const model = craft(real, path.join(models, `crafted-${i}.onnx`), withClasses(classes));
    const run = runOrelab(['classify', path.join(work, 'photos'), '--model', model, '--sort-into', target, '--move']);
    const what = `${JSON.stringify(classes)}: ${run.stderr}`;
    assert.equal(run.status, 1, what);
    assert.ok(run.stderr.includes(model), `the message names the model file: ${what}`);
    assert.ok(run.stderr.includes(named), `the message names the bad class: ${what}`);
    assert.match(run.stderr, /This model cannot be used/, what);
    assert.doesNotMatch(run.stderr, /unexpected error|\n\s+at /, what);
    // Every photo still where it was, unchanged, and nothing created: not even the sort folder.
    assert.deepEqual(snapshot(work), before, what);
    assert.equal(fs.existsSync(target), false, what);
  }
  // The same editing with acceptable names gives a model that works: the refusals above are about the names.
  const fine = craft(real, path.join(models, 'crafted-fine.onnx'), withClasses(['galena', 'quartz']));
  const ok = runOrelab(['classify', path.join(work, 'photos'), '--model', fine, '--sort-into', target, '--move']);
  assert.equal(ok.status, 0, ok.stderr);
  assert.equal(fs.readdirSync(path.join(work, 'photos')).length, 0);
  const sorted = (fs.readdirSync(target, { recursive: true }) as string[]).filter((f) => f.endsWith('.jpg'));
  assert.equal(sorted.length, 3);
  for (const f of sorted) assert.ok(['galena', 'quartz'].includes(f.split(path.sep)[0]!), f);
});

test('class names that do not match the model outputs are refused at load, naming the file and both counts', async () => {
  const dir = tempDir();
  const seven = makeTinyClassifier(dir, SEVEN, { variant: 'vit' });
  const three = craft(seven, path.join(dir, 'three-names.onnx'), withClasses(['biotite', 'pyrite', 'quartz']));
  const ten = craft(seven, path.join(dir, 'ten-names.onnx'), withClasses([...SEVEN, 'galena', 'hematite', 'magnetite']));
  await assertRefused(
    three,
    (err: unknown) => err instanceof ModelFileError && err.message.startsWith(`${three}: output "logits" is [4, 7], but the metadata lists 3 classes`),
  );
  await assertRefused(
    ten,
    (err: unknown) => err instanceof ModelFileError && err.message.startsWith(`${ten}: output "logits" is [4, 7], but the metadata lists 10 classes`),
  );
  // Through the CLI: exit 1 with the message, before a report is started.
  const photos = await photoFolder(path.join(dir, 'photos'), 2);
  const csv = path.join(dir, 'out', 'report.csv');
  const run = runOrelab(['classify', photos, '--model', three, '--csv', csv]);
  assert.equal(run.status, 1, run.stderr);
  assert.ok(run.stderr.includes(`${three}: output "logits" is [4, 7], but the metadata lists 3 classes (biotite, pyrite, quartz)`), run.stderr);
  assert.equal(fs.existsSync(path.join(dir, 'out')), false);
});

test('preprocessing.size must match the graph input [N, 3, S, S], and lie in 8..1024', async () => {
  const dir = tempDir();
  const real = makeTinyClassifier(dir, ['pyrite', 'quartz'], { variant: 'vit' }); // a 32×32 input
  const sized = craft(real, path.join(dir, 'size-64.onnx'), withPreprocessing({ size: 64 }));
  await assertRefused(
    sized,
    (err: unknown) =>
      err instanceof ModelFileError && err.message.startsWith(`${sized}: input "images" is [4, 3, 32, 32], but preprocessing.size 64 needs [N, 3, 64, 64]`),
  );
  const photos = await photoFolder(path.join(dir, 'photos'), 2);
  const run = runOrelab(['classify', photos, '--model', sized, '--json']);
  assert.equal(run.status, 1, run.stderr);
  assert.ok(run.stderr.includes(`${sized}: input "images" is [4, 3, 32, 32]`), run.stderr);
  assert.doesNotMatch(run.stderr, /unexpected error|\n\s+at /);

  for (const size of [100000, 4, 0, 32.5]) {
    const file = craft(real, path.join(dir, `size-${size}.onnx`), withPreprocessing({ size }));
    await assertRefused(
      file,
      (err: unknown) => err instanceof ModelMetadataError && err.message.startsWith(`${file}: metadata "preprocessing.size"`),
      String(size),
    );
  }
});

test('normalisation must be usable: std finite and > 0, mean finite', async () => {
  const dir = tempDir();
  const real = makeTinyClassifier(dir, ['pyrite', 'quartz'], { variant: 'vit' });
  const cases: [string, (props: Record<string, string>) => void, RegExp][] = [
    ['std-zero', withPreprocessing({ std: [0, 0.5, 0.5] }), /metadata "preprocessing\.std\.0" must be greater than 0/],
    ['std-negative', withPreprocessing({ std: [0.5, -1, 0.5] }), /metadata "preprocessing\.std\.1" must be greater than 0/],
    // JSON has no Infinity, but JSON.parse reads 1e999 as one.
    ['std-infinite', (p) => (p.preprocessing = p.preprocessing!.replace(/"std":\[[^\]]*\]/, '"std":[0.5,0.5,1e999]')), /metadata "preprocessing\.std\.2"/],
    ['mean-infinite', (p) => (p.preprocessing = p.preprocessing!.replace(/"mean":\[[^\]]*\]/, '"mean":[-1e999,0.5,0.5]')), /metadata "preprocessing\.mean\.0"/],
    ['crop-tiny', withPreprocessing({ crop_fraction: 0.001 }), /metadata "preprocessing\.crop_fraction"/],
  ];
  for (const [name, edit, message] of cases) {
    const file = craft(real, path.join(dir, `${name}.onnx`), edit);
    await assertRefused(
      file,
      (err: unknown) => err instanceof ModelMetadataError && err.message.startsWith(`${file}: `) && message.test(err.message),
      name,
    );
  }
});

test('a class dimension the graph leaves symbolic is checked on the first batch: misaligned rows are an error, not results', async () => {
  const dir = tempDir();
  const seven = makeTinyClassifier(dir, SEVEN, { variant: 'vit' });
  const symbolic = (classes: string[]) => (props: Record<string, string>, model: onnxProto.onnx.ModelProto) => {
    props.classes = JSON.stringify(classes);
    for (const o of model.graph?.output ?? []) {
      const dims = o.type?.tensorType?.shape?.dim;
      if ((o.name === 'logits' || o.name === 'probabilities') && dims) dims[1] = onnxProto.onnx.TensorShapeProto.Dimension.create({ dimParam: 'classes' });
    }
  };
  const images = new Float32Array(2 * 3 * 32 * 32);
  const loose = craft(seven, path.join(dir, 'symbolic-3.onnx'), symbolic(['biotite', 'pyrite', 'quartz']));
  const classifier = await OnnxClassifier.open(loose, { workers: 1 });
  try {
    await assert.rejects(
      classifier.classify(images, 2),
      (err: unknown) => err instanceof ModelFileError && err.message.startsWith(`${loose}: output "probabilities" gave 7 values per image, but the metadata lists 3 classes`),
    );
  } finally {
    await classifier.close();
  }
  // With the right names the same symbolic graph runs: one row of 7 probabilities per image.
  const right = await OnnxClassifier.open(craft(seven, path.join(dir, 'symbolic-7.onnx'), symbolic(SEVEN)), { workers: 1 });
  try {
    const p = await right.classify(images, 2);
    assert.equal(p.length, 14);
    assert.ok(Math.abs(p.subarray(0, 7).reduce((a, b) => a + b, 0) - 1) < 1e-4);
  } finally {
    await right.close();
  }
});
