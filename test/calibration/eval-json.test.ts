// `orelab eval --json` reports the ECE and the reliability bins of the predicted class's confidence: on a
// catalogue split they agree with the predictions eval recorded, and a labeled folder gets them too. A tiny
// real ONNX model and real JPEGs; nothing trains.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openDatabase, storedPredictions } from '../../src/main/catalogue';
import { expectedCalibrationError, type ReliabilityBin } from '../../src/shared/calibration';
import { argmax } from '../../src/shared/metrics';
import { tempDir } from '../helpers/fs';
import { labeledJpegCatalogue } from '../helpers/images';
import { makeTinyClassifier } from '../helpers/model';
import { runCliInProcess } from '../helpers/cli';

const CLASSES = ['biotite', 'muscovite'];

interface EvalJson {
  model: string;
  accuracy: number;
  confusion: number[][];
  ece: number;
  reliability: ReliabilityBin[];
}


async function evalJson(args: string[]): Promise<EvalJson> {
  const run = await runCliInProcess(['eval', ...args, '--json']);
  assert.equal(run.status, 0, run.stderr);
  return JSON.parse(run.stdout) as EvalJson;
}

test('eval --json on a catalogue split: ece and 15 reliability bins, from the probabilities it recorded', async () => {
  const dir = tempDir();
  const { file } = await labeledJpegCatalogue(dir, CLASSES);
  const result = await evalJson(['--model', makeTinyClassifier(dir, CLASSES, { seed: 5 }), '--db', file, '--split', 'train']);
  const db = openDatabase(file);
  const stored = storedPredictions(db, result.model, 'train');
  db.close();
  const scored = result.confusion.flat().reduce((a, b) => a + b, 0);
  assert.ok(scored > 0);
  assert.equal(stored.length, scored);
  // Recomputed from the recorded predictions: the top class's probability, and whether it is the label.
  const probabilities = stored.map((s) => JSON.parse(s.probabilities) as number[]);
  const best = probabilities.map((p) => argmax(p));
  const expected = expectedCalibrationError(
    probabilities.map((p, i) => p[best[i]!]!),
    stored.map((s, i) => CLASSES[best[i]!] === s.label),
  );
  // The catalogue keeps probabilities to 6 decimals, so the means and the ECE agree to about 1e-6.
  assert.equal(result.reliability.length, 15);
  result.reliability.forEach((b, i) => {
    const e = expected.reliability[i]!;
    assert.deepEqual([b.bin_lo, b.bin_hi, b.count, b.accuracy], [e.bin_lo, e.bin_hi, e.count, e.accuracy], `bin ${i}`);
    assert.ok(b.mean_confidence === null ? e.mean_confidence === null : Math.abs(b.mean_confidence - e.mean_confidence!) < 1e-6, `bin ${i} mean confidence`);
  });
  assert.ok(Math.abs(result.ece - expected.ece) < 1e-6, `${result.ece} vs ${expected.ece}`);
  assert.equal(
    result.reliability.reduce((a, b) => a + b.count, 0),
    scored,
  );
  // The bins' accuracies, weighted by their counts, are the report's accuracy.
  const correct = result.reliability.reduce((a, b) => a + b.count * (b.accuracy ?? 0), 0);
  assert.ok(Math.abs(correct / scored - result.accuracy) < 1e-12);
});

test('eval --json on a labeled folder reports the calibration of every labeled photo', async () => {
  const dir = tempDir();
  const { photos } = await labeledJpegCatalogue(dir, CLASSES);
  const result = await evalJson(['--model', makeTinyClassifier(dir, CLASSES, { seed: 5 }), photos]);
  assert.equal(result.reliability.length, 15);
  assert.equal(
    result.reliability.reduce((a, b) => a + b.count, 0),
    12,
  );
  // Two classes: the top class's probability is at least 1/2, so the bins below it are empty.
  assert.ok(result.reliability.slice(0, 7).every((b) => b.count === 0 && b.mean_confidence === null));
  assert.ok(result.ece >= 0 && result.ece <= 1);
  const correct = result.reliability.reduce((a, b) => a + b.count * (b.accuracy ?? 0), 0);
  assert.ok(Math.abs(correct / 12 - result.accuracy) < 1e-12);
});
