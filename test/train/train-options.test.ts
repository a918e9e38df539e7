import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import Database from 'better-sqlite3';
import { getRun, openDatabase } from '../../src/main/catalogue';
import { runSettings } from '../../src/main/ipc/models';
import { readModelFile } from '../../src/main/jobs/inference/model-file';
import { trainModel } from '../../src/main/jobs/train/train';
import { trainingSettings } from '../../src/main/services/train';
import { TrainParamsSchema } from '../../src/shared/schemas';
import { keptCheckpoint } from '../../src/shared/training';
import { tempDir } from '../helpers/fs';
import { labeledJpegCatalogue } from '../helpers/images';
import { runCliInProcess } from '../helpers/cli';

// The checkpoint rule (--keep) and the DropPath rate (--drop-path), end to end through the command line: a real
// ViT-Ti from a random initialisation at 32×32 on two classes of 10 synthetic photos (8 train, 1 val, 1 test each).
const QUICK = ['--weights', 'none', '--image-size', '32', '--batch', '4', '--lr', '1e-3', '--seed', '1', '--device', 'cpu'];

interface Epoch {
  epoch: number;
  valAccuracy: number;
  valLoss: number;
  valMacroF1: number;
  trainLoss: number;
  trainAccuracy: number;
  learningRate: number;
  seconds: number;
  imagesPerSecond: number;
  kept: boolean;
}
interface TrainJson {
  runId: number;
  status: string;
  modelPath: string;
  epochs: Epoch[];
  best: { epoch: number; valAccuracy: number; valLoss: number; reason: string };
  resumedFrom: { epoch: number; batch: number } | null;
}

async function train(args: string[]): Promise<TrainJson> {
  const r = await runCliInProcess(['train', ...args, '--json']);
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout) as TrainJson;
}

/** The run's stored configuration, as the catalogue holds it (what Resume repeats). */
function storedConfig(db: string, runId: number): Record<string, unknown> {
  const c = new Database(db, { readonly: true });
  const row = c.prepare('SELECT config FROM training_runs WHERE id = ?').get(runId) as { config: string };
  c.close();
  return JSON.parse(row.config) as Record<string, unknown>;
}

/**
 * The exported model's mean cross-entropy on the validation split, as `orelab eval` records it per photo: the
 * validation loss of the epoch whose weights the file holds.
 */
async function exportedValLoss(db: string, modelPath: string): Promise<number> {
  const r = await runCliInProcess(['eval', '--model', modelPath, '--db', db, '--split', 'val', '--device', 'cpu', '--json']);
  assert.equal(r.status, 0, r.stderr);
  const c = new Database(db, { readonly: true });
  const row = c.prepare(`SELECT AVG(p.loss) AS loss, COUNT(*) AS n FROM predictions p JOIN specimens s ON s.id = p.specimen_id JOIN models m ON m.id = p.model_id WHERE s.split = 'val' AND m.path = ?`).get(path.resolve(modelPath)) as { loss: number; n: number };
  c.close();
  assert.equal(row.n, 2);
  return row.loss;
}

/** The epoch whose validation loss is `loss` (the others differ by more than the export's rounding). */
function epochWithLoss(epochs: readonly Epoch[], loss: number): number {
  const near = epochs.filter((e) => Math.abs(e.valLoss - loss) < 1e-3);
  assert.equal(near.length, 1, `val loss ${loss} against the epochs' ${epochs.map((e) => e.valLoss).join(', ')}`);
  return near[0]!.epoch;
}

test('--keep last keeps every epoch in turn and exports the final one; --drop-path 0 and the rule enter the stored config, the metadata and Resume', async () => {
  const dir = tempDir();
  const { file: db } = await labeledJpegCatalogue(dir, ['calcite', 'pyrite'], 10);
  const out = path.join(dir, 'last');
  const r = await train(['--db', db, '--out', out, '--epochs', '3', '--keep', 'last', '--drop-path', '0', ...QUICK]);
  assert.equal(r.status, 'completed');
  assert.deepEqual(r.epochs.map((e) => e.kept), [true, true, true], 'each epoch replaces the one before');
  assert.equal(r.best.epoch, 2);
  assert.match(r.best.reason, /latest epoch/);
  assert.equal(epochWithLoss(r.epochs, await exportedValLoss(db, r.modelPath)), 2, 'the model file holds the last epoch');

  const meta = readModelFile(r.modelPath).metadata.training_run!;
  assert.equal(meta.keep, 'last');
  assert.equal(meta.drop_path_rate, 0);
  const config = storedConfig(db, r.runId);
  assert.equal(config.keep, 'last');
  assert.equal((config.vit as { dropPathRate: number }).dropPathRate, 0);

  // Resume (and runs.get) read the settings back from the stored configuration.
  const catalogue = openDatabase(db);
  const run = getRun(catalogue, r.runId)!;
  const settings = runSettings(run).settings!;
  assert.equal(settings.keep, 'last');
  assert.equal(settings.dropPath, 0);
  assert.equal(keptCheckpoint(r.epochs, settings.keep)?.reason, r.best.reason);
  catalogue.close();
});

test('--keep best-loss keeps the epoch with the lowest validation loss (ties: higher accuracy), and exports it', async () => {
  const dir = tempDir();
  const { file: db } = await labeledJpegCatalogue(dir, ['calcite', 'pyrite'], 10);
  const r = await train(['--db', db, '--out', path.join(dir, 'loss'), '--epochs', '3', '--keep', 'best-loss', ...QUICK]);
  assert.equal(r.status, 'completed');
  const lowest = [...r.epochs].sort((a, b) => a.valLoss - b.valLoss || b.valAccuracy - a.valAccuracy || a.epoch - b.epoch)[0]!;
  assert.equal(r.best.epoch, lowest.epoch);
  // An epoch is kept exactly when its loss is below every earlier epoch's.
  r.epochs.forEach((e, i) => assert.equal(e.kept, r.epochs.slice(0, i).every((b) => e.valLoss < b.valLoss), `epoch ${i}`));
  assert.match(r.best.reason, r.best.epoch === 0 ? /first epoch/ : /validation loss fell to/);
  assert.equal(epochWithLoss(r.epochs, await exportedValLoss(db, r.modelPath)), lowest.epoch);
  assert.equal(readModelFile(r.modelPath).metadata.training_run!.keep, 'best-loss');
  // The default DropPath rate is recorded too.
  assert.equal(readModelFile(r.modelPath).metadata.training_run!.drop_path_rate, 0.1);
  assert.equal(keptCheckpoint(r.epochs, 'best-loss')?.epoch, lowest.epoch);
});

test('an unfinished run resumes only with its own --drop-path and --keep; at the defaults neither is written, so the hash is the one it always was', async () => {
  const dir = tempDir();
  const { file: db } = await labeledJpegCatalogue(dir, ['calcite', 'pyrite'], 10);
  const out = path.join(dir, 'run');
  const params = TrainParamsSchema.parse({ outDir: out, weights: null, imageSize: 32, batchSize: 4, lr: 1e-3, seed: 1, device: 'cpu', epochs: 2, dropPath: 0 });
  // At the defaults the trainer gets neither a DropPath override nor a rule: the settings it was given before
  // (which a cross-validation's plan hash covers too).
  const defaults = trainingSettings(TrainParamsSchema.parse({ outDir: out }));
  assert.equal('vitOverrides' in defaults, false);
  assert.equal('keep' in defaults, false);

  // Stopped once the first epoch is checkpointed (a condition, not a clock).
  const catalogue = openDatabase(db);
  const controller = new AbortController();
  const stopped = await trainModel({
    ...trainingSettings(params), db: catalogue, cataloguePath: db, outDir: out, signal: controller.signal,
    onProgress: (p) => p.finishedEpoch && controller.abort(),
  });
  catalogue.close();
  assert.equal(stopped.status, 'cancelled');
  const config = storedConfig(db, stopped.runId);
  assert.equal((config.vit as { dropPathRate: number }).dropPathRate, 0);
  assert.equal('keep' in config, false, 'the default rule is not written');

  const same = ['--db', db, '--out', out, '--epochs', '2', ...QUICK];
  for (const other of [['--drop-path', '0.2'], ['--drop-path', '0', '--keep', 'last']]) {
    const refused = await runCliInProcess(['train', ...same, ...other]);
    assert.notEqual(refused.status, 0, `resumed with ${other.join(' ')}`);
    assert.match(refused.stderr, /holds an unfinished run with other settings/);
  }
  const resumed = await train([...same, '--drop-path', '0']);
  assert.equal(resumed.status, 'completed');
  assert.equal(resumed.runId, stopped.runId);
  assert.deepEqual(resumed.resumedFrom, { epoch: 1, batch: 0 });
});
