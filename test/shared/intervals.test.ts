// src/shared/intervals.ts and the intervals of shared/metrics.ts's reports, against values computed by hand
// or independently. The bootstrap fixture (test/fixtures/intervals/bootstrap.json) was written by
// scripts/fixtures/make_interval_fixtures.py: scikit-learn's accuracy and macro F1 on the same resamples.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { bootstrapMacroF1Interval, mcnemarExactP, pairedBootstrapIntervals, percentileInterval, resamplingUnits, wilsonInterval, type Interval } from '../../src/shared/intervals';
import { classificationReport, reportFromConfusion } from '../../src/shared/metrics';
import { ClassificationReportSchema } from '../../src/shared/schemas';
import { REPO_ROOT } from '../helpers/fs';

function near(actual: number, expected: number, what: string, eps = 1e-12): void {
  assert.ok(Math.abs(actual - expected) <= eps, `${what}: ${actual} is not ${expected}`);
}

function nearInterval(actual: Interval | undefined, expected: Interval, what: string, eps = 1e-12): void {
  assert.ok(actual, `${what}: no interval`);
  near(actual[0], expected[0], `${what} lower`, eps);
  near(actual[1], expected[1], `${what} upper`, eps);
}

// Wilson: z = 1.959963984540054 (the normal 0.975 quantile), z² = 3.841458820694124;
//   d = 1 + z²/n, centre = (p + z²/(2n)) / d, half = (z/d)·sqrt(p(1−p)/n + z²/(4n²)), interval = centre ± half.
test('Wilson intervals match the formula worked by hand', () => {
  // 8/10: p = 0.8, z²/n = 0.38414588, d = 1.38414588; centre = (0.8 + 0.19207294)/1.38414588 = 0.71674016;
  // half = 1.41600183 · sqrt(0.016 + 0.00960365) = 1.41600183 · 0.16001140 = 0.22657769 → [0.49016247, 0.94331785].
  nearInterval(wilsonInterval(8, 10), [0.4901624715366418, 0.9433178485456248], '8/10');
  // 0/5: p = 0, d = 1 + 0.76829176 = 1.76829176; centre = 0.38414588/1.76829176 = 0.21724123, and
  // half = 1.10839... · sqrt(3.84145882/100) = 0.21724123 as well → [0, 0.43448246]: exactly 0 below.
  assert.deepEqual(wilsonInterval(0, 5).map((x) => +x.toFixed(8)), [0, 0.43448246]);
  assert.equal(wilsonInterval(0, 5)[0], 0);
  // 5/5 mirrors 0/5: [1 − 0.43448246, 1] = [0.56551754, 1]; exactly 1 above.
  nearInterval(wilsonInterval(5, 5), [0.5655175352168251, 1], '5/5');
  assert.equal(wilsonInterval(5, 5)[1], 1);
  // 75/80: p = 0.9375, z²/n = 0.04801824, d = 1.04801824; centre = (0.9375 + 0.02400912)/1.04801824 = 0.91745457;
  // half = 1.87015553 · sqrt(0.00073242 + 0.00015004) = 1.87015553 · 0.02970653 = 0.05555606 → [0.86189851, 0.97301062].
  nearInterval(wilsonInterval(75, 80), [0.8618985123272557, 0.973010624329158], '75/80');
  // Nothing observed says nothing.
  assert.deepEqual(wilsonInterval(0, 0), [0, 1]);
});

test('McNemar exact p-values: twice the smaller binomial tail of the discordant pairs, at most 1', () => {
  near(mcnemarExactP(7, 0), 2 * 0.5 ** 7, 'b=7, c=0'); // 2 · 1/128 = 0.015625
  near(mcnemarExactP(0, 7), 0.015625, 'b=0, c=7 (symmetric)');
  assert.equal(mcnemarExactP(3, 3), 1); // 2 · (1 + 6 + 15 + 20)/64 = 84/64, capped at 1
  near(mcnemarExactP(1, 6), (2 * (1 + 7)) / 128, 'b=1, c=6'); // 2 · (C(7,0) + C(7,1))/2^7 = 0.125
  near(mcnemarExactP(2, 8), (2 * (1 + 10 + 45)) / 1024, 'b=2, c=8'); // 0.109375
  assert.equal(mcnemarExactP(0, 0), 1);
  // 2,000 discordant pairs: 2^-2000 underflows a double, the log-space sum does not (p = 1 at b = c).
  assert.equal(mcnemarExactP(1000, 1000), 1);
  near(mcnemarExactP(10, 30), 0.0022214337732293643, 'b=10, c=30 (scipy binomtest)', 1e-15);
});

test('percentile interval: ranks ⌊0.025·R⌋ and R − 1 − ⌊0.025·R⌋ of the sorted values', () => {
  const values = Float64Array.from({ length: 1000 }, (_, i) => (i * 7919) % 1000); // 0…999, shuffled
  assert.deepEqual(percentileInterval(values), [25, 974]);
  assert.deepEqual(percentileInterval(Float64Array.from([3, 1, 2])), [1, 3]);
});

test('resampling units are numbered in order of first appearance; without groups every item is one', () => {
  assert.deepEqual([...resamplingUnits(3).unitOf], [0, 1, 2]);
  const units = resamplingUnits(5, [40, 7, 40, 9, 7]);
  assert.deepEqual([...units.unitOf], [0, 1, 0, 2, 1]);
  assert.equal(units.count, 3);
  assert.throws(() => resamplingUnits(2, [1]), RangeError);
});

interface BootstrapFixture {
  resamples: number;
  seed: number;
  class_count: number;
  truth: number[];
  predicted_a: number[];
  predicted_b: number[];
  groups: number[];
  group_count: number;
  macro_f1_a: number;
  macro_f1_ci_items: Interval;
  macro_f1_ci_groups: Interval;
  paired_accuracy_ci_groups: Interval;
  paired_macro_f1_ci_groups: Interval;
}

const fixture = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'test/fixtures/intervals/bootstrap.json'), 'utf8')) as BootstrapFixture;

test('bootstrap intervals of macro F1 and of a paired difference match scikit-learn on the same resamples', () => {
  const { class_count: classes, truth, predicted_a: a, predicted_b: b, groups } = fixture;
  const options = { resamples: fixture.resamples, seed: fixture.seed };
  nearInterval(bootstrapMacroF1Interval(classes, truth, a, options), fixture.macro_f1_ci_items, 'macro F1 over photos');
  nearInterval(bootstrapMacroF1Interval(classes, truth, a, { ...options, groups }), fixture.macro_f1_ci_groups, 'macro F1 over groups');
  const paired = pairedBootstrapIntervals(classes, truth, a, b, { ...options, groups });
  nearInterval(paired.accuracy, fixture.paired_accuracy_ci_groups, 'paired accuracy difference');
  nearInterval(paired.macro_f1, fixture.paired_macro_f1_ci_groups, 'paired macro F1 difference');
  // The fixture's groups are real clusters: resampling them gives another interval than resampling photos.
  assert.equal(resamplingUnits(truth.length, groups).count, fixture.group_count);
  assert.notDeepEqual(fixture.macro_f1_ci_groups, fixture.macro_f1_ci_items);
});

test('the bootstrap is exact where the answer is known', () => {
  // Every photo right: every resample has macro F1 1, and the paired difference with itself is 0.
  assert.deepEqual(bootstrapMacroF1Interval(3, [0, 1, 2, 2, 1], [0, 1, 2, 2, 1]), [1, 1]);
  assert.deepEqual(pairedBootstrapIntervals(2, [0, 1, 1], [0, 0, 1], [0, 0, 1]), { accuracy: [0, 0], macro_f1: [0, 0] });
  // One group holding every photo: every resample is the whole set, so the interval is the point value.
  const truth = [0, 0, 1, 1, 1];
  const predicted = [0, 1, 1, 1, 0];
  const point = classificationReport(['a', 'b'], truth, predicted).macro_f1;
  const [lo, hi] = bootstrapMacroF1Interval(2, truth, predicted, { groups: [5, 5, 5, 5, 5] });
  near(lo, point, 'one group, lower');
  near(hi, point, 'one group, upper');
  assert.ok(bootstrapMacroF1Interval(2, truth, predicted)[0] < point, 'resampled photo by photo, the interval is wide');
  assert.deepEqual(bootstrapMacroF1Interval(2, [], []), [0, 1]);
});

test('a group counts as one unit: k copies of each photo in one group give the interval of the photos alone', () => {
  const { class_count: classes, truth, predicted_a: a } = fixture;
  // Each photo three times, its copies one group: the i-th group is drawn exactly when the i-th photo is (same
  // stream, same unit count), and macro F1 does not change when every count is tripled.
  const tripled = (xs: number[]) => xs.flatMap((x) => [x, x, x]);
  const groups = truth.flatMap((_, i) => [i, i, i]);
  assert.deepEqual(bootstrapMacroF1Interval(classes, tripled(truth), tripled(a), { groups }), bootstrapMacroF1Interval(classes, truth, a));
  // Resampled photo by photo instead, the copies pass for independent evidence and the interval shrinks.
  const naive = bootstrapMacroF1Interval(classes, tripled(truth), tripled(a));
  const honest = bootstrapMacroF1Interval(classes, truth, a);
  assert.ok(naive[1] - naive[0] < honest[1] - honest[0], `${naive} is not narrower than ${honest}`);
});

test('reports carry the intervals: Wilson from any confusion matrix, macro F1 only from the photos', () => {
  const { class_count: classes, truth, predicted_a: a, groups } = fixture;
  const names = Array.from({ length: classes }, (_, i) => `c${i}`);
  const report = classificationReport(names, truth, a, { groups });
  near(report.macro_f1, fixture.macro_f1_a, 'macro F1 (scikit-learn)');
  nearInterval(report.macro_f1_ci, fixture.macro_f1_ci_groups, 'macro_f1_ci over groups');
  nearInterval(classificationReport(names, truth, a).macro_f1_ci, fixture.macro_f1_ci_items, 'macro_f1_ci over photos');
  const correct = truth.filter((t, i) => t === a[i]).length;
  assert.deepEqual(report.accuracy_ci, wilsonInterval(correct, truth.length));
  report.per_class.forEach((c, k) => {
    const tp = truth.filter((t, i) => t === k && a[i] === k).length;
    assert.deepEqual(c.recall_ci, wilsonInterval(tp, c.support), `${c.class} recall`);
    assert.deepEqual(c.precision_ci, wilsonInterval(tp, a.filter((p) => p === k).length), `${c.class} precision`);
  });
  // The old keys keep their place and meaning; the intervals come after them.
  assert.deepEqual(Object.keys(report).slice(0, 5), ['classes', 'accuracy', 'macro_f1', 'per_class', 'confusion']);
  assert.deepEqual(Object.keys(report.per_class[0]!).slice(0, 5), ['class', 'precision', 'recall', 'f1', 'support']);
  assert.deepEqual(ClassificationReportSchema.parse(report), report);

  // A matrix alone: 8 of 10 right, class a never predicted (precision 0/0 → [0, 1]); no macro F1 interval.
  const bare = reportFromConfusion(['a', 'b'], [
    [0, 2],
    [0, 8],
  ]);
  assert.deepEqual(bare.accuracy_ci, wilsonInterval(8, 10));
  assert.deepEqual(bare.per_class[0]!.precision_ci, [0, 1]);
  assert.deepEqual(bare.per_class[1]!.recall_ci, [1 - wilsonInterval(0, 8)[1], 1]);
  assert.equal(bare.macro_f1_ci, undefined);
  // A report stored before the intervals existed still parses.
  const { accuracy_ci: _, ...old } = bare;
  assert.ok(ClassificationReportSchema.safeParse({ ...old, per_class: old.per_class.map(({ class: c, precision, recall, f1, support }) => ({ class: c, precision, recall, f1, support })) }).success);
});
