// Cross-validation on a real catalogue with real (tiny) training runs: every labeled specimen gets one
// out-of-fold prediction from a model that never saw it; photo groups stay whole; bad --folds are refused by
// name; a killed run resumes at the fold it reached.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { activeLabeledSpecimens, insertSpecimen, openDatabase, outOfFoldPredictions, findCvRun, photoGroups, updateSpecimenMetadata, type Db } from '../../src/main/catalogue';
import { importFolder } from '../../src/main/jobs/import';
import { planFolds } from '../../src/main/jobs/cv/folds';
import { runSummaries } from '../../src/main/ipc/models';
import { loadTrainingDataset } from '../../src/main/jobs/train/dataset';
import { MINERALS7, tempDir } from '../helpers/fs';
import { runCliInProcess, spawnOrelab } from '../helpers/cli';

const CLASSES = ['bornite', 'pyrite', 'quartz'];
// ViT-Ti on 32×32 photos from a random initialisation, one epoch: a real run that takes seconds. (The kill
// test needs a second epoch, to be killed inside a fold.)
const QUICK = ['--weights', 'none', '--image-size', '32', '--batch', '2', '--device', 'cpu', '--lr', '1e-4'];

/**
 * 3 classes × 8 real minerals7 photos (synthetic gradients would all be one rock to the backbone's embeddings,
 * which cv uses to group); in each class, photos 0–1 and 2–3 are two rocks (a sample code each); plus 2 unlabeled.
 */
async function catalogue(dir: string): Promise<{ file: string; db: Db }> {
  const photos = path.join(dir, 'photos');
  for (const name of CLASSES) {
    fs.mkdirSync(path.join(photos, name), { recursive: true });
    fs.readdirSync(path.join(MINERALS7, name)).sort().slice(0, 8).forEach((f, i) => fs.copyFileSync(path.join(MINERALS7, name, f), path.join(photos, name, `${i}.jpg`)));
  }
  fs.mkdirSync(path.join(photos, 'unsorted'));
  const file = path.join(dir, 'c.sqlite');
  const db = openDatabase(file);
  await importFolder(db, { folder: path.join(photos), labelsFromFolders: true });
  for (const name of CLASSES) {
    for (let i = 0; i < 4; i++) {
      const row = db.prepare('SELECT id FROM specimens WHERE path = ?').get(path.join(photos, name, `${i}.jpg`)) as { id: number };
      updateSpecimenMetadata(db, row.id, { sampleCode: `${name}-${i < 2 ? 'A' : 'B'}` });
    }
  }
  for (let i = 0; i < 2; i++) {
    insertSpecimen(db, { sha256: `unlabeled-${i}`.padEnd(64, '0'), path: path.join(photos, 'unsorted', `${i}.jpg`), originalName: `${i}.jpg`, byteSize: 1, format: 'jpeg', width: 64, height: 48, exifDate: null, importedAt: new Date().toISOString(), labelClassId: null });
  }
  return { file, db };
}

interface CvJson {
  folds: { fold: number; accuracy: number; macro_f1: number; per_class: unknown[] }[];
  pooled: { classes: string[]; accuracy: number; macro_f1: number; per_class: { class: string; recall_ci?: number[] }[]; confusion: number[][]; accuracy_ci?: number[]; macro_f1_ci?: number[] };
  mean: { accuracy: number; macro_f1: number };
  sd: { accuracy: number; macro_f1: number };
  predicted: number;
  unlabeled: number;
  excluded: number;
}

test('orelab cv: one out-of-fold prediction per labeled specimen, from the fold model that never saw it; groups whole; cv.json in the issue\'s shape', async () => {
  const dir = tempDir();
  const { file, db } = await catalogue(dir);
  const out = path.join(dir, 'cv');
  // One labeled photo the user excluded: no prediction, counted apart from the unlabeled.
  const excluded = await runCliInProcess(['exclude', '--db', file, path.join(dir, 'photos', 'quartz', '7.jpg')]);
  assert.equal(excluded.status, 0, excluded.stderr);
  const run = await runCliInProcess(['cv', '--db', file, '--out', out, '--folds', '2', '--epochs', '1', ...QUICK]);
  assert.equal(run.status, 0, run.stderr);
  assert.match(run.stdout, /Pooled: accuracy/);
  assert.match(run.stdout, /2 unlabeled left out, 1 excluded left out/);

  const cv = JSON.parse(fs.readFileSync(path.join(out, 'cv.json'), 'utf8')) as CvJson;
  assert.deepEqual(cv.folds.map((f) => f.fold), [1, 2]);
  assert.deepEqual(cv.pooled.classes, CLASSES);
  for (const key of ['accuracy', 'macro_f1', 'per_class', 'confusion']) assert.ok(key in cv.pooled, key);
  assert.equal(cv.pooled.accuracy_ci?.length, 2);
  assert.equal(cv.pooled.macro_f1_ci?.length, 2);
  assert.equal(cv.predicted, 23);
  assert.equal(cv.unlabeled, 2);
  assert.equal(cv.excluded, 1);
  assert.equal(cv.pooled.confusion.flat().reduce((a, b) => a + b, 0), 23);

  const runRecord = findCvRun(db, 'cv')!;
  assert.equal(runRecord.status, 'completed');
  const predictions = outOfFoldPredictions(db, runRecord.id);
  const labeled = activeLabeledSpecimens(db);
  assert.deepEqual(predictions.map((p) => p.specimenId).sort((a, b) => a - b), labeled.map((r) => r.id).sort((a, b) => a - b), 'every labeled specimen, once');

  // The out-of-fold property, checked against what each fold model was actually trained on: the fold's
  // training run records the hash of its dataset, which is the plan's train/val part without the held-out fold.
  const { groupOf } = photoGroups(db);
  const plan = planFolds(labeled.map((r) => ({ ...r, group: groupOf.get(r.id)! })), 2, 0);
  const runs = db.prepare("SELECT out_dir AS outDir, dataset_hash AS hash FROM training_runs WHERE status = 'completed'").all() as { outDir: string; hash: string }[];
  for (let fold = 0; fold < 2; fold++) {
    const dataset = loadTrainingDataset(db, { assignment: plan.assignment(fold) });
    assert.equal(runs.find((r) => r.outDir === path.join(out, `fold-${fold + 1}`))?.hash, dataset.hash, `fold ${fold + 1} trained on its plan`);
    const seen = new Set([...dataset.splits.train, ...dataset.splits.val].map((i) => i.specimenId));
    const predicted = predictions.filter((p) => p.fold === fold);
    assert.ok(predicted.length > 0);
    for (const p of predicted) assert.ok(!seen.has(p.specimenId), `specimen ${p.specimenId} was predicted by a model that trained on it`);
    assert.deepEqual(new Set(predicted.map((p) => p.specimenId)), new Set(dataset.splits.test.map((i) => i.specimenId)));
  }
  // The runs list knows each fold's run as a fold of this cross-validation (the Training page resumes it through cv).
  assert.deepEqual(
    runSummaries(db).map((r) => r.cvFold).sort((a, b) => (a?.fold ?? 0) - (b?.fold ?? 0)),
    [{ run: 'cv', fold: 1 }, { run: 'cv', fold: 2 }],
  );

  // A rock's photos share a fold.
  for (const code of ['A', 'B']) {
    for (const name of CLASSES) {
      const ids = (db.prepare('SELECT id FROM specimens WHERE sample_code = ?').all(`${name}-${code}`) as { id: number }[]).map((r) => r.id);
      assert.equal(new Set(ids.map((id) => predictions.find((p) => p.specimenId === id)!.fold)).size, 1);
    }
  }

  // --tta scores the same trained folds again (no training) into a second prediction set.
  const tta = await runCliInProcess(['cv', '--db', file, '--out', out, '--folds', '2', '--epochs', '1', '--tta', '--json', ...QUICK]);
  assert.equal(tta.status, 0, tta.stderr);
  assert.equal((db.prepare("SELECT COUNT(*) AS n FROM training_runs").get() as { n: number }).n, 2, 'no fold trained again');
  assert.equal(outOfFoldPredictions(db, findCvRun(db, 'cv+tta')!.id).length, 23);
  assert.ok(fs.existsSync(path.join(out, 'cv-tta.json')));
  db.close();
});

test('--folds above the number of rocks of a class is refused, naming the class; below 2 too', async () => {
  const dir = tempDir();
  const { file, db } = await catalogue(dir);
  // Make quartz 3 rocks: all its photos share three sample codes.
  const quartz = db.prepare("SELECT s.id FROM specimens s JOIN classes c ON c.id = s.label_class_id WHERE c.name = 'quartz' ORDER BY s.id").all() as { id: number }[];
  quartz.forEach((r, i) => updateSpecimenMetadata(db, r.id, { sampleCode: `q-${i % 3}` }));
  db.close();
  const tooMany = await runCliInProcess(['cv', '--db', file, '--out', path.join(dir, 'cv'), '--folds', '4', '--epochs', '1', ...QUICK]);
  assert.equal(tooMany.status, 1);
  assert.match(tooMany.stderr, /"quartz".*3 rocks/);
  assert.equal(fs.existsSync(path.join(dir, 'cv')), false, 'nothing written');
  const one = await runCliInProcess(['cv', '--db', file, '--out', path.join(dir, 'cv'), '--folds', '1', '--epochs', '1', ...QUICK]);
  assert.equal(one.status, 2);
  assert.match(one.stderr, /folds/);
  // A class of one rock cannot be cross-validated at all: the message says what to do, not "use fewer folds".
  const again = openDatabase(file);
  quartz.forEach((r) => updateSpecimenMetadata(again, r.id, { sampleCode: 'q-all' }));
  again.close();
  const oneRock = await runCliInProcess(['cv', '--db', file, '--out', path.join(dir, 'cv'), '--folds', '2', '--epochs', '1', ...QUICK]);
  assert.equal(oneRock.status, 1);
  assert.match(oneRock.stderr, /at least 2 rocks of every class, and "quartz" has 1/);
});

test('a killed cv resumes at the fold it reached, and ends as an uninterrupted run does', async () => {
  const dir = tempDir();
  const { file, db } = await catalogue(dir);
  db.close();
  const args = ['cv', '--db', file, '--folds', '2', '--epochs', '2', ...QUICK];
  const whole = await runCliInProcess([...args, '--out', path.join(dir, 'whole'), '--json']);
  assert.equal(whole.status, 0, whole.stderr);

  // Killed (SIGKILL: no clean-up) once the second fold has finished an epoch.
  const child = spawnOrelab([...args, '--out', path.join(dir, 'killed')]);
  let stderr = '';
  await new Promise<void>((resolve) => {
    child.stderr!.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      if (/fold 2\/2 epoch 1\/2/.test(stderr)) child.kill('SIGKILL');
    });
    child.on('exit', () => resolve());
  });
  assert.match(stderr, /fold 2\/2 epoch 1\/2/);
  assert.ok(!fs.existsSync(path.join(dir, 'killed', 'cv.json')));

  const resumed = await runCliInProcess([...args, '--out', path.join(dir, 'killed'), '--json']);
  assert.equal(resumed.status, 0, resumed.stderr);
  const r = JSON.parse(resumed.stdout) as { resumedFolds: number; summary: CvJson };
  assert.equal(r.resumedFolds, 1);
  const w = (JSON.parse(whole.stdout) as { summary: CvJson }).summary;
  assert.deepEqual(r.summary.pooled.confusion, w.pooled.confusion);
  assert.deepEqual(r.summary.folds.map((f) => f.accuracy), w.folds.map((f) => f.accuracy));
});
