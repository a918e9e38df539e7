// src/shared/calibration.ts: the ECE and its reliability bins against a hand-computed example, temperature
// scaling on logits whose calibration is known by construction, and a SciPy / scikit-learn cross-check
// (test/fixtures/calibration/temperature.json, written by scripts/fixtures/make_calibration_fixture.py).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { calibrationOfPredictions, expectedCalibrationError, fitTemperature, meanNll, softmaxWithTemperature, TEMPERATURE_RANGE } from '../../src/shared/calibration';
import { argmax, softmax } from '../../src/shared/metrics';
import { mulberry32 } from '../../src/shared/random';
import { ClassificationReportSchema } from '../../src/shared/schemas';
import { REPO_ROOT } from '../helpers/fs';

function near(actual: number | null, expected: number | null, what: string, eps = 1e-12): void {
  if (expected === null || actual === null) return assert.equal(actual, expected, what);
  assert.ok(Math.abs(actual - expected) <= eps, `${what}: ${actual} is not ${expected}`);
}

test('ECE and the reliability bins of a small example, worked by hand (5 bins)', () => {
  // Bins [0, .2) [.2, .4) [.4, .6) [.6, .8) [.8, 1]:
  //   bin 0: 0.1 wrong, 0.15 right     → mean .125, accuracy .5, gap .375
  //   bin 1: 0.2 right (on the edge)   → mean .2, accuracy 1, gap .8
  //   bin 2: 0.5 right, 0.55 wrong     → mean .525, accuracy .5, gap .025
  //   bin 3: empty
  //   bin 4: 0.9, 0.95, 1.0 all right  → mean .95, accuracy 1, gap .05 (1.0 counts in the closed top bin)
  // ECE = (2·.375 + 1·.8 + 2·.025 + 3·.05) / 8 = 1.75 / 8 = 0.21875
  const confidences = [0.1, 0.15, 0.2, 0.5, 0.55, 0.9, 0.95, 1.0];
  const correct = [false, true, true, true, false, true, true, true];
  const { ece, reliability } = expectedCalibrationError(confidences, correct, 5);
  near(ece, 0.21875, 'ece');
  const expected = [
    [0, 0.2, 2, 0.125, 0.5],
    [0.2, 0.4, 1, 0.2, 1],
    [0.4, 0.6, 2, 0.525, 0.5],
    [0.6, 0.8, 0, null, null],
    [0.8, 1, 3, 0.95, 1],
  ] as const;
  assert.equal(reliability.length, 5, 'empty bins are listed too');
  expected.forEach(([lo, hi, count, meanConfidence, accuracy], b) => {
    const bin = reliability[b]!;
    near(bin.bin_lo, lo, `bin ${b} lo`);
    near(bin.bin_hi, hi, `bin ${b} hi`);
    assert.equal(bin.count, count, `bin ${b} count`);
    near(bin.mean_confidence, meanConfidence, `bin ${b} mean confidence`);
    near(bin.accuracy, accuracy, `bin ${b} accuracy`);
  });
});

test('the default is 15 bins over [0, 1]; a lone wrong prediction at 0.7 is an ECE of 0.7 in bin [10/15, 11/15)', () => {
  const { ece, reliability } = expectedCalibrationError([0.7], [false]);
  assert.equal(reliability.length, 15);
  assert.equal(reliability[0]!.bin_lo, 0);
  assert.equal(reliability[14]!.bin_hi, 1);
  assert.deepEqual(
    reliability.map((b) => b.count),
    [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0],
  );
  near(ece, 0.7, 'ece');
  // No photos: nothing is miscalibrated, and every bin is empty.
  const empty = expectedCalibrationError([], []);
  assert.equal(empty.ece, 0);
  assert.ok(empty.reliability.every((b) => b.count === 0 && b.mean_confidence === null && b.accuracy === null));
  assert.throws(() => expectedCalibrationError([1.2], [true]), RangeError);
  assert.throws(() => expectedCalibrationError([0.5], []), RangeError);
});

test('calibrationOfPredictions scores the predicted class: right when it is the label', () => {
  // truth 0,1,1 predicted 0,0,1 at .9, .8, .6 (15 bins): bin 13 [.8667, .9333) holds .9 (right), bin 12
  // [.8, .8667) holds .8 (wrong), bin 9 [.6, .6667) holds .6 (right). ECE = (.1 + .8 + .4) / 3.
  const { ece, reliability } = calibrationOfPredictions([0, 1, 1], [0, 0, 1], [0.9, 0.8, 0.6]);
  near(ece, 1.3 / 3, 'ece');
  assert.deepEqual(
    reliability.flatMap((b, i) => (b.count ? [[i, b.accuracy]] : [])),
    [
      [9, 1],
      [12, 0],
      [13, 1],
    ],
  );
});

test('softmaxWithTemperature divides the logits by T; T = 1 is the plain softmax', () => {
  const logits = [2, -1, 0.5];
  assert.deepEqual(softmaxWithTemperature(logits, 1), softmax(logits));
  const warm = softmaxWithTemperature(logits, 2);
  softmax([1, -0.5, 0.25]).forEach((p, i) => near(warm[i]!, p, `class ${i}`, 1e-15));
  assert.throws(() => softmaxWithTemperature(logits, 0), RangeError);
});

/** Standard normal draws (Box–Muller) from a seeded stream. */
function normals(random: () => number, n: number): number[] {
  return Array.from({ length: n }, () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random()));
}

/**
 * Logits of a model that is calibrated by construction: each label is drawn from softmax(logits), so the
 * probabilities are the true ones and the best temperature is 1, up to the sampling noise of `n` photos.
 */
function calibratedFixture(n: number, classes: number, seed: number): { logits: number[][]; labels: number[] } {
  const random = mulberry32(seed);
  const logits = Array.from({ length: n }, () => normals(random, classes).map((z) => 2 * z));
  const labels = logits.map((row) => {
    const p = softmax(row);
    let u = random();
    for (let c = 0; c < classes - 1; c++) if ((u -= p[c]!) < 0) return c;
    return classes - 1;
  });
  return { logits, labels };
}

test('a calibrated model gets T ≈ 1, and scaling changes its NLL by next to nothing', () => {
  const { logits, labels } = calibratedFixture(4000, 5, 7);
  const fit = fitTemperature(logits, labels);
  assert.ok(Math.abs(fit.temperature - 1) < 0.05, `T = ${fit.temperature}`);
  assert.ok(fit.nllAfter <= fit.nllBefore);
  assert.ok(fit.nllBefore - fit.nllAfter < 1e-3, `${fit.nllBefore} → ${fit.nllAfter}`);
});

test('over-confident logits (a calibrated model ×3) get T ≈ 3: a lower NLL and ECE, and not one argmax changed', () => {
  const { logits, labels } = calibratedFixture(4000, 5, 7);
  const calibrated = fitTemperature(logits, labels);
  const sharp = logits.map((row) => row.map((z) => 3 * z));
  const fit = fitTemperature(sharp, labels);
  // NLL(3z / T) = NLL(z / (T / 3)): the fit on the sharpened logits is exactly three times the calibrated one.
  near(fit.temperature, 3 * calibrated.temperature, 'T', 1e-6);
  assert.ok(Math.abs(fit.temperature - 3) < 0.15, `T = ${fit.temperature}`);
  assert.ok(fit.nllAfter < fit.nllBefore - 0.1, `NLL ${fit.nllBefore} → ${fit.nllAfter}`);
  near(fit.nllAfter, calibrated.nllAfter, 'the same minimum', 1e-9);
  near(fit.nllBefore, meanNll(sharp, labels), 'nllBefore is the NLL at T = 1');
  near(fit.nllAfter, meanNll(sharp, labels, fit.temperature), 'nllAfter is the NLL at the fitted T');
  // The fit is a minimum: 1% either side is no better.
  for (const t of [fit.temperature * 0.99, fit.temperature * 1.01]) assert.ok(meanNll(sharp, labels, t) > fit.nllAfter);
  const scaled = sharp.map((row) => softmaxWithTemperature(row, fit.temperature));
  assert.deepEqual(
    scaled.map((p) => argmax(p)),
    sharp.map((row) => argmax(row)),
  );
  const ece = (rows: number[][]) =>
    calibrationOfPredictions(
      labels,
      rows.map((p) => argmax(p)),
      rows.map((p) => Math.max(...p)),
    ).ece;
  const before = ece(sharp.map((row) => softmax(row)));
  const after = ece(scaled);
  assert.ok(after < before / 2, `ECE ${before} → ${after}`);
});

test('the search is deterministic and keeps to its range: separable logits get the low end, label-blind ones the high end', () => {
  const { logits, labels } = calibratedFixture(300, 3, 11);
  assert.deepEqual(fitTemperature(logits, labels), fitTemperature(logits, labels));
  // Every label is its row's argmax: the NLL keeps falling as T → 0, so the fit is the range's low end.
  const separable = fitTemperature(
    logits,
    logits.map((row) => argmax(row)),
  );
  near(separable.temperature, TEMPERATURE_RANGE[0], 'low end', 1e-9);
  // Labels that disagree with the logits as often as they can: the best the model can do is say "uniform".
  const blind = fitTemperature(
    [
      [1, 0],
      [0, 1],
    ],
    [1, 0],
  );
  near(blind.temperature, TEMPERATURE_RANGE[1], 'high end', 1e-9);
  assert.throws(() => fitTemperature([], []), RangeError);
  assert.throws(() => fitTemperature([[1, 2]], [2]), RangeError);
  assert.throws(() => fitTemperature([[1, 2], [1]], [0, 0]), RangeError);
});

interface Fixture {
  logits: number[][];
  labels: number[];
  temperature: number;
  nll_before: number;
  nll_after: number;
  ece_before: number;
  ece_after: number;
  reliability_before: { count: number; mean_confidence: number | null; accuracy: number | null }[];
}

test('the same temperature, NLL and ECE as SciPy and scikit-learn on a fixture drawn from softmax(logits / 2)', () => {
  const f = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'test/fixtures/calibration/temperature.json'), 'utf8')) as Fixture;
  const fit = fitTemperature(f.logits, f.labels);
  near(fit.temperature, f.temperature, 'T', 1e-6);
  near(fit.nllBefore, f.nll_before, 'NLL before', 1e-9);
  near(fit.nllAfter, f.nll_after, 'NLL after', 1e-9);
  const ece = (temperature: number) => {
    const probs = f.logits.map((row) => softmaxWithTemperature(row, temperature));
    return calibrationOfPredictions(
      f.labels,
      probs.map((p) => argmax(p)),
      probs.map((p) => Math.max(...p)),
    );
  };
  const before = ece(1);
  near(before.ece, f.ece_before, 'ECE before', 1e-9);
  before.reliability.forEach((b, i) => {
    const expected = f.reliability_before[i]!;
    assert.equal(b.count, expected.count, `bin ${i} count`);
    near(b.mean_confidence, expected.mean_confidence, `bin ${i} mean confidence`, 1e-9);
    near(b.accuracy, expected.accuracy, `bin ${i} accuracy`, 1e-9);
  });
  near(ece(fit.temperature).ece, f.ece_after, 'ECE after', 1e-6);
});

test('a classification report stored without ece and reliability still parses; one with them keeps them', () => {
  const report = { classes: ['a'], accuracy: 1, macro_f1: 1, per_class: [{ class: 'a', precision: 1, recall: 1, f1: 1, support: 1 }], confusion: [[1]] };
  assert.equal(ClassificationReportSchema.parse(report).ece, undefined);
  const withCalibration = { ...report, ...expectedCalibrationError([1], [true], 2) };
  assert.deepEqual(ClassificationReportSchema.parse(withCalibration).reliability, [
    { bin_lo: 0, bin_hi: 0.5, count: 0, mean_confidence: null, accuracy: null },
    { bin_lo: 0.5, bin_hi: 1, count: 1, mean_confidence: 1, accuracy: 1 },
  ]);
});
