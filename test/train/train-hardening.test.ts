import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import * as ort from 'onnxruntime-node';
import { assignSplits, openDatabase, type Db } from '../../src/main/catalogue';
import { importFolder } from '../../src/main/jobs/import';
import { trainModel, TrainingError, type TrainOptions, type TrainProgress, type TrainResult } from '../../src/main/jobs/train/train';
import { classWeights } from '../../src/shared/weights';
import { tempDir } from '../helpers/fs';
import { makeJpeg } from '../helpers/images';

// A tiny real run: MA-ViT from a random initialisation, one block of width 32 on 32×32 inputs, batches of 2.
const TINY = {
  variant: 'mavit',
  backbone: 'vit-ti',
  weights: null,
  lr: 1e-3,
  weightDecay: 0.01,
  seed: 3,
  device: 'cpu',
  weighting: 'inverse',
  batchSize: 2,
  maxStepsPerChunk: 4,
  intraOpThreads: 1,
  vitOverrides: { imageSize: 32, patchSize: 8, dim: 32, depth: 1, heads: 2, dropPathRate: 0.1 },
} as const satisfies Partial<TrainOptions>;

interface Catalogue {
  file: string;
  db: Db;
  /** Train-split photo paths per class. */
  train: Record<string, string[]>;
}

/** Two classes of 10 photos each; the 8:1:1 split gives 8 + 8 training photos, 1 + 1 validation, 1 + 1 test. */
async function catalogue(dir: string): Promise<Catalogue> {
  const photos = path.join(dir, 'photos');
  for (const [c, name] of ['calcite', 'pyrite'].entries()) {
    fs.mkdirSync(path.join(photos, name), { recursive: true });
    for (let i = 0; i < 10; i++) fs.writeFileSync(path.join(photos, name, `${i}.jpg`), await makeJpeg(50 * c + i));
  }
  const file = path.join(dir, 'c.sqlite');
  const db = openDatabase(file);
  await importFolder(db, { folder: photos, labelsFromFolders: true });
  assignSplits(db, 0);
  const rows = db.prepare(`SELECT s.path, c.name FROM specimens s JOIN classes c ON c.id = s.label_class_id WHERE s.split = 'train' ORDER BY s.path`).all() as { path: string; name: string }[];
  const train: Record<string, string[]> = {};
  for (const r of rows) (train[r.name] ??= []).push(r.path);
  assert.deepEqual(Object.fromEntries(Object.entries(train).map(([c, p]) => [c, p.length])), { calcite: 8, pyrite: 8 });
  return { file, db, train };
}

interface Report {
  dataset: { counts: Record<string, Record<string, number>>; unreadable: { path: string; reason: string }[] };
  class_weights: Record<string, number>;
  schedule: { steps_per_epoch: number; total_steps: number; steps_taken: number };
}

const readReport = (r: TrainResult) => JSON.parse(fs.readFileSync(r.reportPath!, 'utf8')) as Report;

/** The model's graph inputs: only the images, never parameters. */
async function graphInputs(modelPath: string): Promise<readonly string[]> {
  const session = await ort.InferenceSession.create(modelPath);
  const names = session.inputNames;
  await session.release();
  return names;
}

test('photos the cache cannot read are left out before the run is sized: whole epochs, the cosine runs to its end, weights from the readable photos', async () => {
  const dir = tempDir();
  const c = await catalogue(dir);
  // Three calcite training photos become unreadable after they were catalogued: cut short, replaced by text,
  // replaced by another (valid) photo. 13 readable training photos in batches of 2: 6 steps per epoch, where
  // the catalogue's 16 would plan 8 (two chunks of 4, the second only half filled).
  const [cut, text, swapped] = c.train.calcite!;
  fs.writeFileSync(cut!, fs.readFileSync(cut!).subarray(0, 200));
  fs.writeFileSync(text!, 'not a photo any more\n');
  fs.writeFileSync(swapped!, await makeJpeg(999));

  const seen: TrainProgress[] = [];
  const result = await trainModel({ ...TINY, db: c.db, cataloguePath: c.file, outDir: path.join(dir, 'run'), epochs: 2, onProgress: (p) => seen.push(p) });
  assert.equal(result.status, 'completed');
  assert.deepEqual(result.dataErrors.map((e) => e.path).sort(), [cut, text, swapped].sort());

  const readable = { calcite: 5, pyrite: 8 };
  const stepsPerEpoch = Math.floor((readable.calcite + readable.pyrite) / TINY.batchSize);
  const report = readReport(result);
  assert.deepEqual(report.dataset.counts.train, readable);
  assert.equal(report.dataset.unreadable.length, 3);
  assert.equal(report.schedule.steps_per_epoch, stepsPerEpoch);
  assert.equal(report.schedule.total_steps, 2 * stepsPerEpoch);
  assert.equal(report.schedule.steps_taken, report.schedule.total_steps, 'the optimizer took every step the cosine was planned for');

  // Every epoch ran its planned steps to the last one.
  const training = seen.filter((p) => p.phase === 'training' && !p.finishedEpoch);
  assert.ok(training.every((p) => p.stepsPerEpoch === stepsPerEpoch));
  for (const epoch of [0, 1]) assert.equal(Math.max(...training.filter((p) => p.epoch === epoch).map((p) => p.step)), stepsPerEpoch);

  // The paper's weights N/(C·n_i) over the 13 photos trained on, in the result, the report and the catalogue.
  const expected = classWeights([readable.calcite, readable.pyrite], 'inverse');
  assert.deepEqual(result.classWeights, expected);
  assert.deepEqual(Object.values(report.class_weights), expected);
  const run = new Database(c.file, { readonly: true });
  const stored = JSON.parse((run.prepare('SELECT class_weights AS w FROM training_runs WHERE id = ?').get(result.runId) as { w: string }).w) as number[];
  run.close();
  assert.deepEqual(stored, expected);
  c.db.close();
});

test('a resumed run whose best.orelabck is missing or unreadable stops with a clear error; with it back, the resume ends as an uninterrupted run', async () => {
  const dir = tempDir();
  const c = await catalogue(dir);
  const options = { ...TINY, db: c.db, cataloguePath: c.file, epochs: 2 };
  const straight = await trainModel({ ...options, outDir: path.join(dir, 'straight') });
  assert.equal(straight.status, 'completed');

  // Stopped once the first epoch is checkpointed (a condition, not a clock): the next chunk sees the cancel.
  const out = path.join(dir, 'run');
  const controller = new AbortController();
  const stopped = await trainModel({ ...options, outDir: out, signal: controller.signal, onProgress: (p) => p.finishedEpoch && controller.abort() });
  assert.equal(stopped.status, 'cancelled');
  assert.equal(stopped.epochs.length, 1);
  const best = path.join(out, 'best.orelabck');
  const kept = fs.readFileSync(best);

  const refusal = async (why: RegExp) => {
    const err = await trainModel({ ...options, outDir: out }).then(
      () => assert.fail('the resume went ahead without the kept weights'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof TrainingError, String(err));
    assert.ok(err.message.includes(best), err.message);
    assert.match(err.message, why);
    assert.match(err.message, /use --restart to start over/);
    assert.doesNotMatch(err.message, /\n/);
    assert.ok(!fs.existsSync(path.join(out, 'model.onnx')), 'no model is written');
    assert.ok(fs.existsSync(path.join(out, 'checkpoint.orelabck')), 'the resumable state is kept');
  };
  fs.rmSync(best);
  await refusal(/ is missing: it holds the weights this unfinished run kept \(epoch 1\)/);
  fs.writeFileSync(best, kept.subarray(0, 64));
  await refusal(/ cannot be read/);

  // Nothing was changed by the refusals: with the file back, the run resumes and ends with the same numbers.
  fs.writeFileSync(best, kept);
  const resumed = await trainModel({ ...options, outDir: out });
  assert.equal(resumed.status, 'completed');
  assert.equal(resumed.runId, stopped.runId);
  assert.deepEqual(resumed.resumedFrom, { epoch: 1, batch: 0 });
  resumed.epochs.forEach((e, i) => {
    assert.ok(Math.abs(e.valLoss! - straight.epochs[i]!.valLoss!) < 1e-5, `epoch ${i}: val loss ${e.valLoss} vs ${straight.epochs[i]!.valLoss}`);
    assert.equal(e.valAccuracy, straight.epochs[i]!.valAccuracy);
  });
  assert.equal(readReport(resumed).schedule.steps_taken, readReport(straight).schedule.steps_taken);
  assert.deepEqual(await graphInputs(resumed.modelPath!), await graphInputs(straight.modelPath!));
  assert.equal((await graphInputs(resumed.modelPath!)).length, 1, 'the parameters are initializers, not inputs');
  c.db.close();
});
