// Test-time augmentation: the views are the training augmentation's group, a photo and its quarter-turned copy
// get the same augmented probabilities from a real model, and `eval --tta` / `classify --tta` say what they did.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { labeledSplitSpecimens, openDatabase, storedPredictions } from '../../src/main/catalogue';
import { evaluateItems } from '../../src/main/jobs/evaluate';
import { TTA_VIEWS, withTestTimeAugmentation } from '../../src/main/jobs/batch-classifier';
import { classifyFolder } from '../../src/main/jobs/classify/classify';
import { OnnxClassifier } from '../../src/main/jobs/inference/classifier';
import { dihedralSource, IDENTITY, type Dihedral } from '../../src/main/images/dihedral';
import { AUGREG_PREPROCESS, preprocessImage, writeNormalizedChw } from '../../src/main/images/preprocess';
import { randomDihedral } from '../../src/main/jobs/train/augment';
import { MINERALS7, tempDir } from '../helpers/fs';
import { labeledJpegCatalogue } from '../helpers/images';
import { makeTinyClassifier } from '../helpers/model';
import { runCliInProcess } from '../helpers/cli';

const CLASSES = ['biotite', 'muscovite'];
const SIZE = 32;

/** The pixel permutation a transform applies to a size×size image, as a string (for sets). */
const permutationOf = (t: Dihedral, size: number) => Array.from(dihedralSource(t, size)).join(',');

test('the TTA views are the 8 distinct flips and quarter turns: every transform the training augmentation draws, and a group', () => {
  const size = 5;
  const views = TTA_VIEWS.map((t) => permutationOf(t, size));
  assert.equal(views.length, 8);
  assert.equal(new Set(views).size, 8, 'no view repeats another');
  assert.equal(views[0], permutationOf(IDENTITY, size), 'the identity is the first view');
  // Every (flipH, flipV, turns) triple randomDihedral can return, drawn by feeding it each combination.
  const drawn = new Set<string>();
  for (const flipH of [0.25, 0.75]) for (const flipV of [0.25, 0.75]) for (const turn of [0.1, 0.3, 0.6, 0.9]) {
    const values = [flipH, flipV, turn];
    drawn.add(permutationOf(randomDihedral(() => values.shift()!), size));
  }
  assert.deepEqual([...drawn].sort(), [...views].sort());
  // Closed under composition: applying one view's permutation after another's gives a view.
  const tables = TTA_VIEWS.map((t) => dihedralSource(t, size));
  for (const a of tables) for (const b of tables) assert.ok(views.includes(Array.from(a, (i) => b[i]!).join(',')));
});

/** Rotates a square uint8 HWC image a quarter turn counter-clockwise, written out independently of dihedral.ts. */
function rotateQuarter(pixels: Uint8Array, size: number): Uint8Array {
  const out = new Uint8Array(pixels.length);
  for (let y = 0; y < size; y++) for (let x = 0; x < size; x++) out.set(pixels.subarray((x * size + (size - 1 - y)) * 3, (x * size + (size - 1 - y)) * 3 + 3), (y * size + x) * 3);
  return out;
}

test('a photo and its quarter-turned copy get the same probabilities with TTA, and different ones without', async () => {
  const dir = tempDir();
  const classifier = await OnnxClassifier.open(makeTinyClassifier(dir, CLASSES, { seed: 3 }), { workers: 1 });
  try {
    const spec = { ...AUGREG_PREPROCESS, size: SIZE };
    const photo = path.join(MINERALS7, 'bornite', fs.readdirSync(path.join(MINERALS7, 'bornite')).filter((f) => f.endsWith('.jpg')).sort()[0]!);
    const pixels = await preprocessImage(fs.readFileSync(photo), spec);
    const perImage = 3 * SIZE * SIZE;
    const images = new Float32Array(2 * perImage);
    writeNormalizedChw(pixels, SIZE, IDENTITY, spec, images, 0);
    writeNormalizedChw(rotateQuarter(pixels, SIZE), SIZE, IDENTITY, spec, images, perImage);
    const largestDifference = (p: Float32Array) => Math.max(...CLASSES.map((_, c) => Math.abs(p[c]! - p[CLASSES.length + c]!)));

    const plain = await classifier.classify(images, 2);
    const augmented = await withTestTimeAugmentation(classifier).classify(images, 2);
    assert.ok(largestDifference(plain) > 1e-3, `without TTA the model tells the turned copy apart (difference ${largestDifference(plain)})`);
    assert.ok(largestDifference(augmented) < 1e-5, `with TTA the two agree (difference ${largestDifference(augmented)})`);
    // The augmented probabilities are probabilities, and not just the identity view's.
    assert.ok(Math.abs(augmented[0]! + augmented[1]! - 1) < 1e-5);
    assert.ok(Math.abs(augmented[0]! - plain[0]!) > 1e-4);
  } finally {
    await classifier.close();
  }
});


interface EvalJson {
  classes: string[];
  accuracy: number;
  confusion: number[][];
  model: string;
  partial: boolean;
  tta: boolean;
}

test('eval --tta on a catalogue split writes valid JSON that records the flag, and its predictions replace the plain ones', async () => {
  const dir = tempDir();
  const { file } = await labeledJpegCatalogue(dir, CLASSES);
  const model = makeTinyClassifier(dir, CLASSES, { seed: 5 });
  const evalJson = async (extra: string[]) => {
    const run = await runCliInProcess(['eval', '--model', model, '--db', file, '--split', 'train', '--json', ...extra]);
    assert.equal(run.status, 0, run.stderr);
    return JSON.parse(run.stdout) as EvalJson;
  };
  /** The train split's stored probabilities by sha256. */
  const stored = (modelId: string) => {
    const db = openDatabase(file);
    try {
      return new Map(storedPredictions(db, modelId, 'train').map((p) => [p.sha256, JSON.parse(p.probabilities) as number[]]));
    } finally {
      db.close();
    }
  };
  const plainRun = await evalJson([]);
  assert.equal(plainRun.tta, false);
  const plainStored = stored(plainRun.model);
  const ttaRun = await evalJson(['--tta']);
  assert.equal(ttaRun.tta, true);
  assert.equal(ttaRun.partial, false);
  assert.deepEqual(ttaRun.classes, CLASSES);
  assert.equal(ttaRun.confusion.flat().reduce((a, b) => a + b, 0), plainStored.size, 'every train photo scored');
  assert.ok(ttaRun.accuracy >= 0 && ttaRun.accuracy <= 1);

  // What the TTA run recorded is what evaluateItems gives with TTA, and it replaced the plain run's predictions.
  const db = openDatabase(file);
  const items = labeledSplitSpecimens(db, 'train').map((r) => ({ specimenId: r.id, sha256: r.sha256, path: r.path, classIndex: CLASSES.indexOf(r.class) }));
  db.close();
  const classifier = await OnnxClassifier.open(model, { workers: 1 });
  try {
    const augmented = await evaluateItems(file, classifier, items, { tta: true });
    assert.equal(augmented.scored.length, items.length);
    const ttaStored = stored(ttaRun.model);
    augmented.scored.forEach((s, i) => {
      const recorded = ttaStored.get(items[i]!.sha256)!;
      assert.equal(s.specimenId, items[i]!.specimenId);
      recorded.forEach((p, c) => assert.ok(Math.abs(p - s.probabilities[c]!) < 1e-6));
      assert.ok(Math.abs(plainStored.get(items[i]!.sha256)![0]! - recorded[0]!) > 1e-7, 'not the plain prediction');
    });
  } finally {
    await classifier.close();
  }

  const text = await runCliInProcess(['eval', '--model', model, '--db', file, '--split', 'train', '--tta']);
  assert.equal(text.status, 0, text.stderr);
  assert.match(text.stdout, /test-time augmented: .*in place of this model's earlier predictions/);
});

test('eval --tta on a labeled folder (classification underneath) records the flag too, and scores every photo', async () => {
  const dir = tempDir();
  const { photos } = await labeledJpegCatalogue(dir, CLASSES);
  const run = await runCliInProcess(['eval', '--model', makeTinyClassifier(dir, CLASSES, { seed: 5 }), photos, '--tta', '--json']);
  assert.equal(run.status, 0, run.stderr);
  const result = JSON.parse(run.stdout) as EvalJson;
  assert.equal(result.tta, true);
  assert.equal(result.confusion.flat().reduce((a, b) => a + b, 0), 12);
});

test('classify --tta marks its CSV, and neither kind of run resumes the other kind’s CSV', async () => {
  const dir = tempDir();
  const { photos } = await labeledJpegCatalogue(dir, CLASSES);
  const classifier = await OnnxClassifier.open(makeTinyClassifier(dir, CLASSES, { seed: 7 }), { workers: 1 });
  try {
    const csv = path.join(dir, 'out', 'p.csv');
    const summary = await classifyFolder({ folder: photos, classifier, csv, tta: true });
    assert.equal(summary.tta, true);
    assert.equal(summary.classified, 12);
    const lines = fs.readFileSync(csv, 'utf8').replace(/^\ufeff/, '').trim().split('\r\n');
    assert.ok(lines[0]!.endsWith(',tta'));
    assert.ok(lines.slice(1).every((l) => l.endsWith(',yes')));
    const before = fs.readFileSync(csv);
    await assert.rejects(classifyFolder({ folder: photos, classifier, csv }), /made with --tta.*Run with --tta to resume it/);
    assert.deepEqual(fs.readFileSync(csv), before, 'the refused CSV is left byte for byte');
    const resumed = await classifyFolder({ folder: photos, classifier, csv, tta: true });
    assert.equal(resumed.resumed, 12);
    assert.equal(resumed.classified, 0);
  } finally {
    await classifier.close();
  }
});

test('classify resumes from the catalogue only predictions of its own kind: --tta runs every plain-predicted photo again and replaces them, and the other way round', async () => {
  const dir = tempDir();
  const { file, photos } = await labeledJpegCatalogue(dir, CLASSES);
  const classifier = await OnnxClassifier.open(makeTinyClassifier(dir, CLASSES, { seed: 9 }), { workers: 1 });
  const db = openDatabase(file);
  try {
    const probabilities = () => storedPredictions(db, classifier.modelId).map((p) => JSON.parse(p.probabilities) as number[]);
    assert.equal((await classifyFolder({ folder: photos, classifier, db })).classified, 12);
    const plain = probabilities();
    assert.equal((await classifyFolder({ folder: photos, classifier, db })).resumed, 12, 'a plain re-run resumes from the catalogue');
    const augmented = await classifyFolder({ folder: photos, classifier, db, tta: true });
    assert.deepEqual([augmented.classified, augmented.resumed], [12, 0]);
    const replaced = probabilities();
    assert.equal(replaced.length, 12);
    replaced.forEach((p, i) => assert.ok(Math.abs(p[0]! - plain[i]![0]!) > 1e-7, `photo ${i}: the stored prediction is the augmented one`));
    assert.equal((await classifyFolder({ folder: photos, classifier, db, tta: true })).resumed, 12, 'a --tta re-run resumes from the augmented predictions');
    // A plain run after it does not take the augmented probabilities for plain ones: it runs every photo again.
    const again = await classifyFolder({ folder: photos, classifier, db });
    assert.deepEqual([again.classified, again.resumed], [12, 0]);
    probabilities().forEach((p, i) => assert.ok(Math.abs(p[0]! - plain[i]![0]!) < 1e-6, `photo ${i}: the plain prediction is back`));
  } finally {
    db.close();
    await classifier.close();
  }
});
