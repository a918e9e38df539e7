// The quick mode's folds and out-of-fold probabilities on vectors made here: a class with photos of fewer than K
// rocks is set aside as too small and the rest audited; a rock's photos share a fold; and no specimen's
// probabilities come from a model that saw it (nor its rock).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fitLogistic, matrix, predictProbabilities } from '../../src/main/jobs/label-issues/logistic';
import { planQuickFolds, quickOutOfFold, QUICK_REGRESSION, type QuickSpecimen } from '../../src/main/jobs/label-issues/quick';
import { mulberry32 } from '../../src/shared/random';

const DIM = 6;

/** Class centres on the first axes, seeded noise; the last axis is 0 for everyone (a specimen's private feature). */
function specimens(): QuickSpecimen[] {
  const random = mulberry32(7);
  const out: QuickSpecimen[] = [];
  const add = (cls: string, centre: number, group: number) => {
    const id = out.length + 1;
    const vector = new Float64Array(DIM);
    for (let j = 0; j < DIM - 1; j++) vector[j] = (j === centre ? 3 : 0) + (random() - 0.5);
    out.push({ id, sha256: `${id}`.padStart(64, '0'), class: cls, group, vector });
  };
  // a: 12 photos of 8 rocks (4 rocks photographed twice); b: 10 photos of 10 rocks; c: 3 photos of 3 rocks.
  for (let g = 0; g < 8; g++) for (let k = 0; k < (g < 4 ? 2 : 1); k++) add('a', 0, 100 + g);
  for (let g = 0; g < 10; g++) add('b', 1, 200 + g);
  for (let g = 0; g < 3; g++) add('c', 2, 300 + g);
  return out;
}

test('a class with photos of fewer than K rocks is too small to audit; the rest are audited, rocks whole, classes spread', () => {
  const all = specimens();
  const plan = planQuickFolds(all, 5, 0);
  assert.deepEqual(plan.tooSmall, [{ class: 'c', specimens: 3, groups: 3 }]);
  assert.deepEqual(plan.classes, ['a', 'b']);
  assert.equal(plan.specimens.length, 22);
  assert.ok(plan.specimens.every((s) => s.class !== 'c'));
  const foldsOfGroup = new Map<number, Set<number>>();
  for (const s of plan.specimens) foldsOfGroup.set(s.group, (foldsOfGroup.get(s.group) ?? new Set()).add(plan.foldOf.get(s.id)!));
  for (const [group, folds] of foldsOfGroup) assert.equal(folds.size, 1, `rock ${group} is in ${folds.size} folds`);
  for (let fold = 0; fold < 5; fold++) {
    for (const cls of ['a', 'b']) assert.ok(plan.specimens.some((s) => s.class === cls && plan.foldOf.get(s.id) === fold), `fold ${fold} holds no ${cls}`);
  }
  // With K = 3 the third class has enough rocks and is audited too.
  assert.deepEqual(planQuickFolds(all, 3, 0).tooSmall, []);
});

test('no specimen\'s out-of-fold probability comes from a model that saw it', () => {
  const all = specimens();
  // Specimen `odd` is labeled b but sits among the a's, with a feature no other photo has: a model that trained
  // on it learns that feature means b (weak penalty), and gives it to b; one that did not cannot.
  const odd = all.find((s) => s.class === 'a' && s.group === 107)!;
  odd.class = 'b';
  (odd.vector as Float64Array)[DIM - 1] = 5;
  const plan = planQuickFolds(all, 5, 0);
  const regression = { ...QUICK_REGRESSION, C: 100, gradientTolerance: 1e-8 };
  const result = quickOutOfFold(plan, 5, { regression })!;
  const K = result.classes.length;
  const b = result.classes.indexOf('b');

  // What each fold's model was fitted on is exactly the other folds: never the held-out specimens.
  const ids = plan.specimens.map((s) => s.id);
  result.trainedOn.forEach((trained, fold) => {
    const held = ids.filter((id) => plan.foldOf.get(id) === fold);
    assert.ok(held.length > 0);
    for (const id of held) assert.ok(!trained.includes(id), `fold ${fold}'s model trained on its held-out specimen ${id}`);
    assert.deepEqual([...trained].sort((x, y) => x - y), ids.filter((id) => plan.foldOf.get(id) !== fold));
  });

  // And the probabilities show it: out of fold, the odd photo looks like the a's it sits among ...
  const row = plan.specimens.findIndex((s) => s.id === odd.id);
  const outOfFold = result.probabilities[row * K + b]!;
  assert.ok(outOfFold < 0.5, `out-of-fold p(b) = ${outOfFold}`);
  // ... while a model fitted on every specimen (it included) has learnt it.
  const x = matrix(plan.specimens.length, DIM, Float64Array.from(plan.specimens.flatMap((s) => [...s.vector])));
  const model = fitLogistic(x, Int32Array.from(plan.specimens, (s) => result.classes.indexOf(s.class)), K, regression);
  const inSample = predictProbabilities(model, x)[row * K + b]!;
  assert.ok(inSample > 0.5, `in-sample p(b) = ${inSample}`);

  // Every audited specimen has a probability row summing to 1.
  for (let i = 0; i < plan.specimens.length; i++) {
    const sum = Array.from(result.probabilities.subarray(i * K, (i + 1) * K)).reduce((s, p) => s + p, 0);
    assert.ok(Math.abs(sum - 1) < 1e-9, `row ${i} sums to ${sum}`);
  }
});
