// A model.onnx names the training run that made it (metadata training_run.run_id), but that id belongs to the
// catalogue it was trained in. Using the model with another catalogue (classify --db, eval --db, the app's
// "add a model") must work, and must not attach it to that catalogue's unrelated run with the same number.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { createRun, getRun, openDatabase, registerModel, type Db } from '../../src/main/catalogue';
import { presetModel } from '../../src/main/engine/models/mavit';
import { initParams } from '../../src/main/engine/models/model';
import { exportClassifier } from '../../src/main/jobs/train/export';
import { readModelFile } from '../../src/main/jobs/inference/model-file';
import { AUGREG_PREPROCESS } from '../../src/main/images/preprocess';
import { runSummary } from '../../src/main/ipc/models';
import { decodeModelMetadata } from '../../src/shared/model-metadata';
import { tempDir } from '../helpers/fs';
import { makeJpeg } from '../helpers/images';
import { parseJson, runOrelab } from '../helpers/cli';
import { openTestCore } from '../ipc/helpers';

const CLASSES = ['pyrite', 'quartz'];
const DATASET_A = 'a'.repeat(64);

/**
 * A real tiny model as catalogue A's trainer exports it: its metadata says it came from run 1 of A, trained
 * on the data whose hash is `datasetSha256`.
 */
function modelFromRun1(dir: string, datasetSha256 = DATASET_A): string {
  const model = presetModel('vit', 'vit-ti', CLASSES.length, { vit: { imageSize: 32, patchSize: 8, dim: 32, depth: 1, heads: 2, dropPathRate: 0 } });
  const file = path.join(dir, `model-${datasetSha256.slice(0, 4)}.onnx`);
  exportClassifier(file, {
    model,
    params: initParams(model, 1),
    variant: 'vit',
    backbone: 'vit-test',
    classes: CLASSES,
    preprocessing: { ...AUGREG_PREPROCESS, size: 32 },
    weightsSource: 'random initialisation (test)',
    trainingRun: {
      run_id: 1,
      started_at: '2026-01-01T00:00:00.000Z',
      finished_at: '2026-01-01T01:00:00.000Z',
      epochs: 1,
      best_epoch: 0,
      batch_size: 4,
      learning_rate: 3e-5,
      weight_decay: 0.01,
      seed: 0,
      loss: 'weighted cross-entropy',
      weighting: 'inverse',
      class_weights: [1, 1],
      device: 'cpu',
    },
    datasetSha256,
    metrics: [],
    batchSize: 4,
  });
  return file;
}

/** A local training run (catalogue B's own run 1), on B's own data. */
function addLocalRun(db: Db, datasetHash: string, outDir: string): number {
  return createRun(db, { variant: 'mavit', backbone: 'vit-ti', config: {}, outDir, datasetHash, classes: CLASSES, classWeights: [1, 1] });
}

async function photos(dir: string): Promise<string> {
  const root = path.join(dir, 'photos');
  fs.mkdirSync(root, { recursive: true });
  for (let i = 1; i <= 3; i++) fs.writeFileSync(path.join(root, `p${i}.jpg`), await makeJpeg(i));
  return root;
}

function modelRow(dbPath: string, id: string): { run_id: number | null; metadata: string } | undefined {
  const db = openDatabase(dbPath);
  try {
    return db.prepare('SELECT run_id, metadata FROM models WHERE id = ?').get(id) as { run_id: number | null; metadata: string } | undefined;
  } finally {
    db.close();
  }
}

test('classify --db with a model trained in another catalogue: works in a catalogue without runs; the run id stays provenance', async () => {
  const dir = tempDir();
  const model = modelFromRun1(dir);
  const id = readModelFile(model).id;
  const b = path.join(dir, 'B.sqlite');
  const run = runOrelab(['classify', await photos(dir), '--model', model, '--db', b, '--json']);
  assert.equal(run.status, 0, run.stderr);
  assert.equal(parseJson<{ classified: number }>(run).classified, 3);
  const row = modelRow(b, id)!;
  assert.equal(row.run_id, null);
  // Where it came from is kept, in the model's own metadata.
  assert.equal(decodeModelMetadata(JSON.parse(row.metadata) as Record<string, string>, model).training_run?.run_id, 1);
  const db = openDatabase(b);
  try {
    assert.equal((db.prepare('SELECT COUNT(*) AS n FROM predictions WHERE model_id = ?').get(id) as { n: number }).n, 3);
  } finally {
    db.close();
  }
});

test("classify --db into a catalogue with its own run 1: the foreign model is not attached to that run", async () => {
  const dir = tempDir();
  const model = modelFromRun1(dir);
  const id = readModelFile(model).id;
  const b = path.join(dir, 'B.sqlite');
  const db = openDatabase(b);
  const localRun = addLocalRun(db, 'b'.repeat(64), path.join(dir, 'b-run'));
  db.close();
  assert.equal(localRun, 1);
  const run = runOrelab(['classify', await photos(dir), '--model', model, '--db', b, '--json']);
  assert.equal(run.status, 0, run.stderr);
  assert.equal(modelRow(b, id)!.run_id, null);
  const again = openDatabase(b);
  try {
    assert.equal(runSummary(again, getRun(again, 1)!).modelId, null, "B's run 1 does not claim the foreign model");
  } finally {
    again.close();
  }
});

test('a wrong link made by an older Orelab is dropped when the model is used again; a local run keeps its own model', async () => {
  const dir = tempDir();
  const foreign = modelFromRun1(dir);
  const b = path.join(dir, 'B.sqlite');
  const localHash = 'b'.repeat(64);
  const own = modelFromRun1(dir, localHash); // made by B's run 1: same run id, and B's data
  const db = openDatabase(b);
  addLocalRun(db, localHash, dir);
  // What the old code stored: the foreign model's run id as the local key; and what B's trainer stores.
  const foreignId = readModelFile(foreign).id;
  const ownId = readModelFile(own).id;
  registerModel(db, { id: foreignId, path: foreign, runId: 1, name: 'foreign', classes: CLASSES, metadata: { dataset_sha256: DATASET_A } });
  registerModel(db, { id: ownId, path: own, runId: 1, name: 'own', classes: CLASSES, metadata: { dataset_sha256: localHash } });
  db.close();
  const folder = await photos(dir);
  for (const model of [foreign, own]) {
    const run = runOrelab(['classify', folder, '--model', model, '--db', b, '--json']);
    assert.equal(run.status, 0, run.stderr);
  }
  assert.equal(modelRow(b, foreignId)!.run_id, null);
  assert.equal(modelRow(b, ownId)!.run_id, 1);
});

test("the app's models.add takes a model trained elsewhere, with or without a local run of the same number", async () => {
  const t = openTestCore();
  try {
    const model = modelFromRun1(t.dir);
    const added = await t.call('models.add', { path: model });
    assert.equal(added.model.runId, null);
    const db = t.core.session.requireDb();
    addLocalRun(db, 'b'.repeat(64), t.dir);
    const other = modelFromRun1(t.dir, 'c'.repeat(64));
    const second = await t.call('models.add', { path: other });
    assert.equal(second.model.runId, null);
    const { runs } = await t.call('runs.list', {});
    assert.equal(runs.length, 1);
    assert.equal(runs[0]!.modelId, null);
  } finally {
    await t.close();
  }
});
