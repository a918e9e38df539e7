import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import Database from 'better-sqlite3';
import { readModelFile } from '../../src/main/jobs/inference/model-file';
import { OnnxClassifier } from '../../src/main/jobs/inference/classifier';
import { defaultWeightsPath } from '../../src/main/jobs/train/weights';
import { MINERALS7, tempDir } from '../helpers/fs';
import { parseJson, runOrelab, spawnOrelab } from '../helpers/cli';

// Small but real: the pretrained ViT-Ti/16 backbone at 32×32 input (its position embeddings resampled to a
// 2×2 grid), MA-ViT with CBAM, on a few photos per class of minerals7.
const QUICK = ['--batch', '4', '--limit-per-class', '6', '--image-size', '32', '--lr', '1e-4'];

interface TrainJson {
  runId: number;
  status: string;
  modelPath: string;
  reportPath: string;
  classes: string[];
  epochs: { epoch: number; valAccuracy: number; valLoss: number; kept: boolean }[];
  best: { epoch: number; reason: string };
  test: { accuracy: number };
  resumedFrom: { epoch: number; batch: number } | null;
}

interface EvalJson {
  classes: string[];
  accuracy: number;
  macro_f1: number;
  per_class: { class: string; precision: number; recall: number; f1: number; support: number }[];
  confusion: number[][];
}

function catalogueWithMinerals(dir: string): string {
  const db = path.join(dir, 'c.sqlite');
  const r = runOrelab(['import', MINERALS7, '--labels-from-folders', '--db', db]);
  assert.equal(r.status, 0, r.stderr);
  return db;
}

test('train → model.onnx → eval, end to end, with the metrics in the catalogue and a self-describing model', async () => {
  const dir = tempDir();
  const db = catalogueWithMinerals(dir);
  const out = path.join(dir, 'run');
  const run = runOrelab(['train', '--db', db, '--out', out, '--epochs', '2', ...QUICK, '--json']);
  assert.equal(run.status, 0, run.stderr);
  const result = parseJson<TrainJson>(run);
  assert.equal(result.status, 'completed');
  assert.equal(result.epochs.length, 2);
  assert.equal(result.classes.length, 7);
  assert.ok(result.best.reason.length > 0);
  assert.equal(result.epochs.filter((e) => e.kept).at(-1)!.epoch, result.best.epoch);

  const report = JSON.parse(fs.readFileSync(result.reportPath, 'utf8')) as { epochs: unknown[]; test: EvalJson; class_weights: Record<string, number> };
  assert.equal(report.epochs.length, 2);
  // Paper weights from the train split: 6 per class here, so all equal to N/(C·n) = 1.
  assert.deepEqual(Object.values(report.class_weights), new Array(7).fill(1));

  const catalogue = new Database(db, { readonly: true });
  const epochs = catalogue.prepare('SELECT COUNT(*) AS n FROM epoch_metrics WHERE run_id = ?').get(result.runId) as { n: number };
  assert.equal(epochs.n, 2);
  const status = catalogue.prepare('SELECT status FROM training_runs WHERE id = ?').get(result.runId) as { status: string };
  assert.equal(status.status, 'completed');
  catalogue.close();

  const file = readModelFile(result.modelPath);
  assert.deepEqual(file.metadata.classes, result.classes);
  assert.equal(file.metadata.architecture.prefilter, 'cbam-residual');
  assert.equal(file.metadata.training_run!.weighting, 'inverse');
  assert.equal(file.metadata.training_run!.run_id, result.runId);
  assert.equal(file.metadata.preprocessing.size, 32);
  assert.match(file.metadata.dataset_sha256!, /^[0-9a-f]{64}$/);
  assert.deepEqual(file.metadata.metrics.map((m) => m.split), ['val', 'test']);
  assert.match(file.metadata.weights_source, /vit_tiny_patch16_224_augreg_in1k\.safetensors/);
  const classifier = await OnnxClassifier.open(result.modelPath);
  const { probabilities, attention } = await classifier.run(new Float32Array(2 * 3 * 32 * 32).fill(0.1), 2);
  await classifier.close();
  assert.equal(probabilities.length, 14);
  assert.equal(attention!.length, 2 * 32 * 32, 'the CBAM spatial attention map is an output');

  const evaluated = runOrelab(['eval', '--model', result.modelPath, '--db', db, '--split', 'test', '--json']);
  assert.equal(evaluated.status, 0, evaluated.stderr);
  const ev = parseJson<EvalJson>(evaluated);
  assert.deepEqual(Object.keys(ev).slice(0, 5), ['classes', 'accuracy', 'macro_f1', 'per_class', 'confusion']);
  // The intervals (precision_ci, recall_ci) are additive: the first five keys keep their order and meaning.
  assert.deepEqual(Object.keys(ev.per_class[0]!).slice(0, 5), ['class', 'precision', 'recall', 'f1', 'support']);
  const scored = ev.confusion.flat().reduce((a, b) => a + b, 0);
  assert.equal(scored, ev.per_class.reduce((a, c) => a + c.support, 0));
  const check = new Database(db, { readonly: true });
  const recorded = check.prepare(`SELECT COUNT(*) AS n, SUM(loss IS NOT NULL) AS withLoss FROM predictions p JOIN specimens s ON s.id = p.specimen_id WHERE s.split = 'test'`).get() as { n: number; withLoss: number };
  check.close();
  assert.equal(recorded.n, scored);
  assert.equal(recorded.withLoss, scored);

  // A labeled folder works too.
  const folderEval = parseJson<EvalJson>(runOrelab(['eval', '--model', result.modelPath, path.join(MINERALS7), '--json']));
  assert.equal(folderEval.per_class.reduce((a, c) => a + c.support, 0), 804);
});

test('a training run killed with SIGKILL resumes from its checkpoint and ends as an uninterrupted run does', async () => {
  const dir = tempDir();
  const db = catalogueWithMinerals(dir);
  const args = (out: string) => ['train', '--db', db, '--out', out, '--epochs', '3', ...QUICK, '--json'];
  const straight = parseJson<TrainJson>(runOrelab(args(path.join(dir, 'straight'))));

  const out = path.join(dir, 'killed');
  const child = spawnOrelab(args(out));
  const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_c, signal) => resolve(signal)));
  let finished = false;
  void exited.then(() => (finished = true));
  // Kill once the first epoch is checkpointed (a condition, not a clock).
  const epochsDone = () => {
    try {
      const c = new Database(db, { readonly: true });
      const n = (c.prepare(`SELECT COUNT(*) AS n FROM epoch_metrics e JOIN training_runs r ON r.id = e.run_id WHERE r.out_dir = ?`).get(out) as { n: number }).n;
      c.close();
      return n;
    } catch {
      return 0;
    }
  };
  while (!finished && !(epochsDone() >= 1 && fs.existsSync(path.join(out, 'checkpoint.orelabck')))) await delay(20);
  child.kill('SIGKILL');
  assert.equal(await exited, 'SIGKILL', 'training finished before it could be killed');
  assert.ok(!fs.existsSync(path.join(out, 'model.onnx')));

  // The resume reads the same weights from another path (as after the app moved or updated): the checkpoint
  // names them by their bytes, so it resumes.
  const movedWeights = path.join(dir, 'moved', 'weights.safetensors');
  fs.mkdirSync(path.dirname(movedWeights));
  fs.copyFileSync(defaultWeightsPath(), movedWeights);
  const resumed = parseJson<TrainJson>(runOrelab([...args(out), '--weights', movedWeights]));
  assert.equal(resumed.status, 'completed');
  assert.ok(resumed.resumedFrom && resumed.resumedFrom.epoch >= 1, `resumed from ${JSON.stringify(resumed.resumedFrom)}`);
  assert.equal(resumed.epochs.length, 3);
  // Same data order, augmentation, DropPath masks and optimizer state: the same numbers as without the kill.
  resumed.epochs.forEach((e, i) => {
    assert.ok(Math.abs(e.valLoss - straight.epochs[i]!.valLoss) < 1e-4, `epoch ${i}: val loss ${e.valLoss} vs ${straight.epochs[i]!.valLoss}`);
    assert.equal(e.valAccuracy, straight.epochs[i]!.valAccuracy);
  });
  const c = new Database(db, { readonly: true });
  const runs = c.prepare('SELECT COUNT(*) AS n FROM training_runs WHERE out_dir = ?').get(out) as { n: number };
  const rows = c.prepare('SELECT COUNT(*) AS n FROM epoch_metrics WHERE run_id = ?').get(resumed.runId) as { n: number };
  c.close();
  assert.equal(runs.n, 1, 'the resumed run is the same run');
  assert.equal(rows.n, 3);
  // Timing is summed over both processes: the images trained are those of an uninterrupted run.
  const timing = (run: TrainJson) => (JSON.parse(fs.readFileSync(run.reportPath, 'utf8')) as { timing: { sessions: number; train_images: number } }).timing;
  assert.equal(timing(straight).sessions, 1);
  assert.equal(timing(resumed).sessions, 2);
  assert.equal(timing(resumed).train_images, timing(straight).train_images);

  // A finished run's folder holds the model the catalogue refers to: a new run there is refused (the CLI
  // and the app share this check), unless asked to start over.
  const other = runOrelab(['train', '--db', db, '--out', out, '--epochs', '5', ...QUICK]);
  assert.equal(other.status, 1, other.stderr);
  assert.match(other.stderr, /holds a finished run's model\.onnx; choose another output folder/);
  const restarted = runOrelab(['train', '--db', db, '--out', out, '--epochs', '5', '--restart', ...QUICK]);
  assert.equal(restarted.status, 0, restarted.stderr);
});
