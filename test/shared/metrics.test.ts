// src/shared/metrics.ts against hand-checkable cases. The expected figures were computed once with scikit-learn
// 1.2.1 (Debian python3-sklearn) and are hard-coded here, since CI has no Python:
//   precision_recall_fscore_support(y_true, y_pred, labels=range(len(classes)), zero_division=0)
//   confusion_matrix(y_true, y_pred, labels=range(len(classes))), accuracy_score(y_true, y_pred)
//   f1_score(y_true, y_pred, labels=..., average='macro', zero_division=0)
// Macro F1 is scikit-learn's default f1_score(average='macro'): over the classes in the truth or the predictions.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { argmax, classificationReport, confusionMatrix, reportFromConfusion, softmax, type ClassificationReport } from '../../src/shared/metrics';

const EPS = 1e-12;

function near(actual: number, expected: number, what: string): void {
  assert.ok(Math.abs(actual - expected) <= EPS, `${what}: ${actual} is not ${expected}`);
}

/** [class, precision, recall, f1, support] rows, as scikit-learn printed them. */
type Row = [string, number, number, number, number];

function assertPerClass(report: ClassificationReport, rows: Row[]): void {
  assert.deepEqual(
    report.per_class.map((p) => p.class),
    rows.map((r) => r[0]),
  );
  rows.forEach(([name, precision, recall, f1, support], i) => {
    const p = report.per_class[i]!;
    near(p.precision, precision, `${name} precision`);
    near(p.recall, recall, `${name} recall`);
    near(p.f1, f1, `${name} f1`);
    assert.equal(p.support, support, `${name} support`);
  });
}

test('confusion matrix: rows are the true class, columns the predicted one', () => {
  // One photo of class 0 predicted as class 2: row 0, column 2.
  assert.deepEqual(confusionMatrix(3, [0], [2]), [
    [0, 0, 1],
    [0, 0, 0],
    [0, 0, 0],
  ]);
  assert.deepEqual(confusionMatrix(2, [], []), [
    [0, 0],
    [0, 0],
  ]);
  assert.throws(() => confusionMatrix(2, [0, 1], [0]), RangeError);
  assert.throws(() => confusionMatrix(2, [0, 2], [0, 1]), /class index out of range at 1/);
  assert.throws(() => confusionMatrix(2, [0], [-1]), /class index out of range at 0/);
});

test('three classes, every one present: accuracy, per-class figures, confusion and macro F1 match scikit-learn', () => {
  const classes = ['quartz', 'biotite', 'muscovite'];
  const truth = [0, 0, 0, 0, 1, 1, 1, 2, 2, 2];
  const predicted = [0, 0, 0, 1, 1, 1, 2, 2, 2, 0];
  const r = classificationReport(classes, truth, predicted);
  assert.deepEqual(r.classes, classes);
  near(r.accuracy, 0.7, 'accuracy'); // 7 of 10 on the diagonal
  // sklearn confusion_matrix: [[3, 1, 0], [0, 2, 1], [1, 0, 2]]; not symmetric, so a transposed matrix fails.
  assert.deepEqual(r.confusion, [
    [3, 1, 0],
    [0, 2, 1],
    [1, 0, 2],
  ]);
  assertPerClass(r, [
    // quartz: 3 of the 4 predicted quartz are quartz (one muscovite), 3 of the 4 quartz found.
    ['quartz', 0.75, 0.75, 0.75, 4],
    ['biotite', 0.6666666666666666, 0.6666666666666666, 0.6666666666666666, 3],
    ['muscovite', 0.6666666666666666, 0.6666666666666666, 0.6666666666666666, 3],
  ]);
  // sklearn f1_score(average='macro'): 0.6944444444444443 (the same with labels given or not).
  near(r.macro_f1, 0.6944444444444443, 'macro F1');
});

test('a class with support that is never predicted, and a class predicted without support', () => {
  const classes = ['a', 'b', 'c', 'd'];
  const truth = [0, 0, 0, 1, 1, 2, 2, 0];
  const predicted = [0, 1, 3, 1, 1, 0, 1, 0];
  const r = classificationReport(classes, truth, predicted);
  near(r.accuracy, 0.5, 'accuracy');
  assert.deepEqual(r.confusion, [
    [2, 1, 0, 1],
    [0, 2, 0, 0],
    [1, 1, 0, 0],
    [0, 0, 0, 0],
  ]);
  assertPerClass(r, [
    ['a', 0.6666666666666666, 0.5, 0.5714285714285715, 4],
    ['b', 0.5, 1.0, 0.6666666666666666, 2],
    // c: 2 photos, never predicted: precision 0/0 → 0 (zero_division=0), recall 0/2 = 0, F1 0.
    ['c', 0, 0, 0, 2],
    // d: predicted once, no photos: precision 0/1 = 0, recall 0/0 → 0 (zero_division=0), F1 0.
    ['d', 0, 0, 0, 0],
  ]);
  // scikit-learn by default (labels=None: d is in y_pred) counts d's F1 of 0 too: (0.5714… + 0.6666… + 0 + 0) / 4
  // = 0.30952380952380953, as does labels=[0, 1, 2, 3]. Over the classes with support only (labels=[0, 1, 2])
  // it would be 0.41269841269841273, which rewards predicting a class that is not there; orelab used that
  // before it followed scikit-learn.
  near(r.macro_f1, 0.30952380952380953, 'macro F1 (sklearn default: classes in the truth or the predictions)');
});

test('a class neither present nor predicted is reported with zeros and left out of macro F1', () => {
  const r = classificationReport(['a', 'b', 'c'], [0, 0, 1, 1, 1], [0, 1, 1, 1, 0]);
  near(r.accuracy, 0.6, 'accuracy');
  assert.deepEqual(r.confusion, [
    [1, 1, 0],
    [1, 2, 0],
    [0, 0, 0],
  ]);
  assertPerClass(r, [
    ['a', 0.5, 0.5, 0.5, 2],
    ['b', 0.6666666666666666, 0.6666666666666666, 0.6666666666666666, 3],
    ['c', 0, 0, 0, 0],
  ]);
  // sklearn: 0.5833333333333333 with labels=None (c occurs nowhere); 0.38888888888888884 with labels=[0, 1, 2].
  near(r.macro_f1, 0.5833333333333333, 'macro F1');
});

test('reportFromConfusion works from a stored matrix and copies it', () => {
  const confusion = [
    [3, 1, 0],
    [0, 2, 1],
    [1, 0, 2],
  ];
  const r = reportFromConfusion(['quartz', 'biotite', 'muscovite'], confusion);
  near(r.macro_f1, 0.6944444444444443, 'macro F1');
  r.confusion[0]![0] = 99;
  assert.equal(confusion[0]![0], 3, 'the caller’s matrix is not aliased');
});

test('nothing to evaluate: accuracy and macro F1 are 0, not NaN', () => {
  const r = classificationReport(['a', 'b'], [], []);
  assert.equal(r.accuracy, 0);
  assert.equal(r.macro_f1, 0);
  assert.deepEqual(
    r.per_class.map((p) => [p.precision, p.recall, p.f1, p.support]),
    [
      [0, 0, 0, 0],
      [0, 0, 0, 0],
    ],
  );
});

test('argmax takes the first of equal maxima and works on a slice; softmax is stable and sums to 1', () => {
  assert.equal(argmax([1, 3, 3, 2]), 1);
  assert.equal(argmax([9, 9, 0, 5, 7], 2, 3), 2, 'index within the slice [0, 5, 7]');
  const p = softmax([1000, 1000, 1000 + Math.log(2)]);
  near(p[0]!, 0.25, 'p0');
  near(p[1]!, 0.25, 'p1');
  near(p[2]!, 0.5, 'p2');
  const q = softmax([5, 0, 0], 1, 2);
  assert.deepEqual(q, [0.5, 0.5]);
});
