// Confident learning on a small fixed example, every step against values computed by hand (the arithmetic is in
// the comments), and the outlier and neighbour arithmetic on vectors whose distances are known.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  calibrateJoint,
  confidentJoint,
  confidentLearning,
  noiseMatrixOf,
  perClassThresholds,
  pruneByNoiseRate,
  roundPreservingRowTotals,
} from '../../src/main/jobs/label-issues/confident-learning';
import { nearestNeighbours, outlierScores, outlierThreshold } from '../../src/main/jobs/label-issues/neighbours';

// Ten specimens, three classes. 3 is labeled 0 but looks like 1; 9 is labeled 2 but looks like 0.
const LABELS = [0, 0, 0, 0, 1, 1, 1, 2, 2, 2];
const PROBS = [
  [0.9, 0.05, 0.05],
  [0.8, 0.1, 0.1],
  [0.7, 0.2, 0.1],
  [0.1, 0.8, 0.1],
  [0.1, 0.8, 0.1],
  [0.2, 0.7, 0.1],
  [0.1, 0.6, 0.3],
  [0.1, 0.1, 0.8],
  [0.05, 0.15, 0.8],
  [0.65, 0.3, 0.05],
];
const input = { labels: Int32Array.from(LABELS), probabilities: Float64Array.from(PROBS.flat()), classes: 3 };

const close = (a: readonly number[], b: readonly number[], eps = 1e-12) => {
  assert.equal(a.length, b.length);
  a.forEach((v, i) => assert.ok(Math.abs(v - b[i]!) <= eps, `[${i}]: ${v} vs ${b[i]}`));
};

test('thresholds are each class\'s mean self-confidence', () => {
  // t0 = (0.9 + 0.8 + 0.7 + 0.1) / 4 = 0.625; t1 = (0.8 + 0.7 + 0.6) / 3 = 0.7; t2 = (0.8 + 0.8 + 0.05) / 3 = 0.55
  close(perClassThresholds(input), [0.625, 0.7, 0.55]);
});

test('the confident joint counts each specimen under its confident class, and none when no class is confident', () => {
  // 0, 1, 2: p0 ≥ 0.625 → (0, 0). 3: p1 = 0.8 ≥ 0.7 → (0, 1). 4: (1, 1). 5: p1 = 0.7 ≥ t1 (within the 1e-6 slack:
  // the mean is 0.7000000000000001) → (1, 1). 6: 0.1 < 0.625, 0.6 < 0.7, 0.3 < 0.55 → not counted. 7, 8: (2, 2).
  // 9: p0 = 0.65 ≥ 0.625 → (2, 0).
  const joint = confidentJoint(input, perClassThresholds(input));
  assert.deepEqual(joint, [
    [3, 1, 0],
    [0, 2, 0],
    [1, 0, 2],
  ]);
});

test('calibration scales each row to its label count and the whole to n, in whole specimens', () => {
  // Label counts [4, 3, 3]: row 1 (sum 2) becomes [0, 3, 0]; the others already sum to their counts; total 10 = n.
  assert.deepEqual(calibrateJoint([[3, 1, 0], [0, 2, 0], [1, 0, 2]], [4, 3, 3]), [
    [3, 1, 0],
    [0, 3, 0],
    [1, 0, 2],
  ]);
  // Fractions: counts [5, 4]: row 0 [2, 1] → [10/3, 5/3] = [3.33, 1.67] → floors [3, 1], one missing, the larger
  // remainder (0.67) rounds up → [3, 2]; row 1 [1, 1] → [2, 2]. Total 9 = n.
  assert.deepEqual(calibrateJoint([[2, 1], [1, 1]], [5, 4]), [
    [3, 2],
    [2, 2],
  ]);
  assert.deepEqual(roundPreservingRowTotals([[0.5, 0.5, 1]]), [[1, 0, 1]], 'ties go to the first column');
});

test('the noise matrix is P(given | true), column by column, and the noise rate the off-diagonal share', () => {
  const calibrated = [
    [3, 1, 0],
    [0, 3, 0],
    [1, 0, 2],
  ];
  // Columns: [3, 0, 1] / 4, [1, 3, 0] / 4, [0, 0, 2] / 2.
  assert.deepEqual(noiseMatrixOf(calibrated), [
    [0.75, 0.25, 0],
    [0, 0.75, 0],
    [0.25, 0, 1],
  ]);
  const result = confidentLearning(input);
  assert.deepEqual(result.calibratedJoint, calibrated);
  assert.equal(result.noiseRate, 0.2, '(1 + 1) / 10');
});

test('prune by noise rate takes the largest margins, and never a specimen the model puts in its own class', () => {
  // Class 0 gives C[0][1] = 1 to class 1: margins p1 − p0 of 0..3 are −0.85, −0.7, −0.5, +0.7 → specimen 3.
  // Class 2 gives C[2][0] = 1: margins p0 − p2 of 7, 8, 9 are −0.7, −0.75, +0.6 → specimen 9.
  const calibrated = [
    [3, 1, 0],
    [0, 3, 0],
    [1, 0, 2],
  ];
  const mask = pruneByNoiseRate(input, calibrated);
  assert.deepEqual(mask.flatMap((m, i) => (m ? [i] : [])), [3, 9]);
  // Class 1 giving one to class 2 would pick specimen 6 (margin p2 − p1 = −0.3, the largest), but its own class
  // is its most probable one: not an issue.
  const withOne = [
    [3, 1, 0],
    [0, 2, 1],
    [1, 0, 2],
  ];
  assert.deepEqual(pruneByNoiseRate(input, withOne).flatMap((m, i) => (m ? [i] : [])), [3, 9]);
  // A class keeps at least one specimen: a class of one is never pruned.
  const lonely = { labels: Int32Array.from([0, 1, 1]), probabilities: Float64Array.from([0.1, 0.9, 0.2, 0.8, 0.3, 0.7]), classes: 2 };
  assert.deepEqual(pruneByNoiseRate(lonely, [[0, 1], [0, 2]]), [false, false, false]);
});

test('issues are ranked by normalised margin, or by self-confidence, with the suggestion and the label\'s probability', () => {
  // Normalised margins: 3: (0.1 − 0.8 + 1) / 2 = 0.15; 9: (0.05 − 0.65 + 1) / 2 = 0.2. Self-confidence: 3: 0.1, 9: 0.05.
  const byMargin = confidentLearning(input).issues;
  assert.deepEqual(byMargin.map((i) => [i.index, i.given, i.suggested]), [[3, 0, 1], [9, 2, 0]]);
  close(byMargin.map((i) => i.score), [0.15, 0.2]);
  close(byMargin.map((i) => i.labelProbability), [0.1, 0.05]);
  const bySelf = confidentLearning(input, { rankBy: 'self-confidence' }).issues;
  assert.deepEqual(bySelf.map((i) => i.index), [9, 3]);
  close(bySelf.map((i) => i.score), [0.05, 0.1]);
});

test('outlier scores are mean cosine distances to the k nearest photos of other rocks; the fence is Q3 + 1.5 IQR', () => {
  // Unit vectors at angles 0°, 10°, 20°, 30° and one at 90°; the 10° one has a copy in its own group (id 6).
  const at = (deg: number) => Float64Array.from([Math.cos((deg * Math.PI) / 180), Math.sin((deg * Math.PI) / 180)]);
  const items = [
    { id: 1, group: 1, vector: at(0) },
    { id: 2, group: 2, vector: at(10) },
    { id: 3, group: 3, vector: at(20) },
    { id: 4, group: 4, vector: at(30) },
    { id: 5, group: 5, vector: at(90) },
    { id: 6, group: 2, vector: Float64Array.from([2 * Math.cos(Math.PI / 18), 2 * Math.sin(Math.PI / 18)]) },
  ];
  const d = (deg: number) => 1 - Math.cos((deg * Math.PI) / 180);
  const scores = outlierScores(items, 2);
  // 1: nearest of other groups are 2 and 6 (10°, both group 2) → (d10 + d10) / 2. 2: 1 and 3 (10°, 10°), not its copy 6.
  close(scores, [d(10), d(10), d(10), (d(10) + d(20)) / 2, (d(60) + d(70)) / 2, d(10)], 1e-12);
  const nn = nearestNeighbours([items[1]!], items, 3)[0]!;
  assert.deepEqual(nn.map((n) => items[n.index]!.id), [1, 3, 4], 'its own group is left out');
  // Four scores of d10 (0.015), one of 0.038 and one of 0.576 (at 90°): Q1 = Q3 = d10 up to the interpolation, and
  // only the photo at 90° is above the fence.
  const fence = outlierThreshold(scores);
  assert.ok(scores[4]! > fence && scores.filter((s) => s > fence).length === 1, `fence ${fence}`);
});
