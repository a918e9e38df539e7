// The quick mode's logistic regression against scikit-learn's on fixed small problems (the fixture is made by
// scripts/fixtures/make_logistic_fixture.py with Debian's python3-sklearn, and committed): probabilities on the
// training rows and on new rows agree to 1e-4.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fitLogistic, matrix, predictProbabilities } from '../../src/main/jobs/label-issues/logistic';
import { REPO_ROOT } from '../helpers/fs';

interface Case {
  name: string;
  C: number;
  class_weight: 'balanced' | null;
  classes: number;
  x: number[][];
  y: number[];
  x_new: number[][];
  proba: number[][];
  proba_new: number[][];
}

const fixture = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'test/fixtures/label-issues/logistic.json'), 'utf8')) as { cases: Case[] };
const toMatrix = (rows: number[][]) => matrix(rows.length, rows[0]!.length, Float64Array.from(rows.flat()));

function maxDifference(got: Float64Array, want: number[][]): number {
  const flat = want.flat();
  assert.equal(got.length, flat.length);
  return Math.max(...flat.map((v, i) => Math.abs(v - got[i]!)));
}

for (const c of fixture.cases) {
  test(`logistic regression matches scikit-learn to 1e-4: ${c.name}`, () => {
    const model = fitLogistic(toMatrix(c.x), Int32Array.from(c.y), c.classes, { C: c.C, classWeight: c.class_weight ?? 'none' });
    assert.ok(model.converged, `not converged after ${model.iterations} iterations`);
    const train = maxDifference(predictProbabilities(model, toMatrix(c.x)), c.proba);
    const fresh = maxDifference(predictProbabilities(model, toMatrix(c.x_new)), c.proba_new);
    assert.ok(train < 1e-4, `training rows: max |Δp| = ${train}`);
    assert.ok(fresh < 1e-4, `new rows: max |Δp| = ${fresh}`);
  });
}

test('the class weights change the fit (the fixture would catch them being ignored)', () => {
  const c = fixture.cases.find((k) => k.class_weight === 'balanced')!;
  const unweighted = fitLogistic(toMatrix(c.x), Int32Array.from(c.y), c.classes, { C: c.C, classWeight: 'none' });
  assert.ok(maxDifference(predictProbabilities(unweighted, toMatrix(c.x)), c.proba) > 1e-3);
});

test('a fit is deterministic: the same inputs give the same bits', () => {
  const c = fixture.cases[0]!;
  const a = fitLogistic(toMatrix(c.x), Int32Array.from(c.y), c.classes, { C: c.C, classWeight: 'balanced' });
  const b = fitLogistic(toMatrix(c.x), Int32Array.from(c.y), c.classes, { C: c.C, classWeight: 'balanced' });
  assert.deepEqual(Array.from(a.weights), Array.from(b.weights));
  assert.deepEqual(Array.from(a.intercepts), Array.from(b.intercepts));
});
