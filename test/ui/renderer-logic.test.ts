// The renderer's pure logic, in Node: grid keyboard movement, digit keys, filters, rebalancing warnings.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { moveCursor, classForDigit, isNavKey } from '../../src/renderer/lib/grid-nav';
import { EMPTY_FILTER, toSpecimenFilter, usesPredictions } from '../../src/renderer/lib/filters';
import { rebalanceWarnings } from '../../src/shared/rebalance';
import { SpecimenFilterSchema } from '../../src/shared/ipc';
import type { CatalogueStats, ClassStats } from '../../src/shared/domain';

test('arrow keys move in a grid of 10 items in 4 columns and stop at the edges', () => {
  // 0 1 2 3 / 4 5 6 7 / 8 9
  assert.equal(moveCursor(null, 'ArrowRight', 4, 10), 0);
  assert.equal(moveCursor(null, 'End', 4, 10), 9);
  assert.equal(moveCursor(5, 'ArrowRight', 4, 10), 6);
  assert.equal(moveCursor(9, 'ArrowRight', 4, 10), 9);
  assert.equal(moveCursor(0, 'ArrowLeft', 4, 10), 0);
  assert.equal(moveCursor(5, 'ArrowUp', 4, 10), 1);
  assert.equal(moveCursor(1, 'ArrowUp', 4, 10), 1);
  assert.equal(moveCursor(5, 'ArrowDown', 4, 10), 9);
  assert.equal(moveCursor(6, 'ArrowDown', 4, 10), 9, 'a short last row: down goes to the last item');
  assert.equal(moveCursor(9, 'ArrowDown', 4, 10), 9);
  assert.equal(moveCursor(2, 'PageDown', 4, 10, 2), 9);
  assert.equal(moveCursor(9, 'PageUp', 4, 10, 1), 5);
  assert.equal(moveCursor(7, 'Home', 4, 10), 0);
  assert.equal(moveCursor(3, 'ArrowRight', 4, 0), null);
  assert.equal(moveCursor(40, 'ArrowLeft', 4, 10), 8, 'a cursor past a shrunken list is clamped first');
  assert.ok(isNavKey('ArrowUp') && !isNavKey('a'));
});

test('digits pick the class at that position; 0 clears; others are not class keys', () => {
  const classes = ['biotite', 'bornite', 'quartz'];
  assert.equal(classForDigit('1', classes), 'biotite');
  assert.equal(classForDigit('3', classes), 'quartz');
  assert.equal(classForDigit('0', classes), null);
  assert.equal(classForDigit('4', classes), undefined);
  assert.equal(classForDigit('z', classes), undefined);
  assert.equal(classForDigit('12', classes), undefined);
});

test('filter bar state becomes a contract filter the main process accepts', () => {
  assert.deepEqual(toSpecimenFilter(EMPTY_FILTER), {});
  const f = toSpecimenFilter({ classChoice: '3', split: 'val', search: ' AB-1 ', mismatch: true, confidenceMin: '40', confidenceMax: '100' });
  assert.deepEqual(f, { classIds: [3], split: 'val', sampleCode: 'AB-1', mismatch: true, confidenceMin: 0.4, confidenceMax: 1 });
  assert.ok(SpecimenFilterSchema.safeParse(f).success);
  assert.deepEqual(toSpecimenFilter({ ...EMPTY_FILTER, classChoice: 'unlabeled', confidenceMin: '150', confidenceMax: 'x' }), { unlabeled: true });
  assert.equal(usesPredictions({ ...EMPTY_FILTER, confidenceMax: '90' }), true);
  assert.equal(usesPredictions({ ...EMPTY_FILTER, confidenceMax: '900' }), false);
});

function cls(name: string, train: number, val: number, test: number, unassigned = 0): ClassStats {
  const count = train + val + test + unassigned;
  return { name, count, share: 0, weightInverse: 0, weightEffective: 0, imbalanceRatio: 0, splits: { train, val, test, unassigned } };
}
function stats(classes: ClassStats[], unlabeled = 0): CatalogueStats {
  const sum = (k: 'train' | 'val' | 'test' | 'unassigned') => classes.reduce((a, c) => a + c.splits[k], 0);
  const labeled = classes.reduce((a, c) => a + c.count, 0);
  return { total: labeled + unlabeled, labeled, unlabeled, excluded: 0, classCount: classes.length, beta: 0.99, imbalanceRatio: 1, classes, splits: { train: sum('train'), val: sum('val'), test: sum('test'), unassigned: sum('unassigned') } };
}

test('rebalancing warnings: thin classes, classes missing from a split, unassigned and unlabeled specimens', () => {
  assert.deepEqual(rebalanceWarnings(stats([cls('quartz', 80, 10, 10), cls('pyrite', 40, 5, 5)])), []);
  const w = rebalanceWarnings(stats([cls('quartz', 80, 10, 10, 3), cls('muscovite', 12, 2, 0), cls('galena', 0, 0, 0)], 7));
  assert.deepEqual(
    w.map((x) => [x.kind, x.className ?? '']),
    [
      ['few-training-images', 'muscovite'],
      ['missing-from-split', 'muscovite'],
      ['empty-class', 'galena'],
      ['unassigned', ''],
      ['unlabeled', ''],
    ],
  );
  assert.match(w[0]!.message, /only 12 training images \(fewer than 20\)/);
  assert.match(w[1]!.message, /missing from test/);
  assert.match(w[3]!.message, /3 labeled specimens have no split yet/);
  // Before any split, a thin class is judged by its labeled count.
  const before = rebalanceWarnings(stats([cls('quartz', 0, 0, 0, 90), cls('muscovite', 0, 0, 0, 15)]));
  assert.deepEqual(
    before.map((x) => x.kind),
    ['few-training-images', 'unassigned'],
  );
  assert.match(before[0]!.message, /only 15 labeled images/);
});
