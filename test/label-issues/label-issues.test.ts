// `orelab label-issues` end to end on a small real catalogue: real minerals7 photos, the shipped ViT-Ti's
// embeddings (real ONNX Runtime), real SQLite. Quick mode finds a planted wrong label, sets a class of too few
// rocks aside and audits the rest; cv mode audits a cross-validation run's stored out-of-fold predictions; a
// missing backbone is a clear error.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { finishCvRun, openDatabase, putOutOfFoldPredictions, startCvRun, type Db } from '../../src/main/catalogue';
import { importFolder } from '../../src/main/jobs/import';
import { findLabelIssues } from '../../src/main/services/label-issues';
import { LabelIssuesParamsSchema, LabelIssuesResultSchema, type LabelIssuesResult } from '../../src/shared/schemas';
import { UserError } from '../../src/shared/errors';
import { MINERALS7, tempDir } from '../helpers/fs';
import { runCliInProcess } from '../helpers/cli';

const AUDITED = ['malachite', 'pyrite', 'quartz'];
const PER_CLASS = 7;

/**
 * 7 photos each of malachite, pyrite and quartz, plus 3 of bornite (too few rocks for 5 folds); one quartz photo
 * (`planted`) is filed under pyrite: a wrong label. It is a clear quartz point (minerals7's quartz/4bee8e6f…): on
 * 7 photos a class, a 5-fold regression cannot be expected to see through a doubtful one.
 */
async function catalogue(): Promise<{ file: string; db: Db; planted: string }> {
  const dir = tempDir();
  const photos = path.join(dir, 'photos');
  const pick = (cls: string, n: number, skip = 0) => fs.readdirSync(path.join(MINERALS7, cls)).filter((f) => f.endsWith('.jpg')).sort().slice(skip, skip + n);
  for (const cls of [...AUDITED, 'bornite']) {
    fs.mkdirSync(path.join(photos, cls), { recursive: true });
    for (const f of pick(cls, cls === 'bornite' ? 3 : PER_CLASS)) fs.copyFileSync(path.join(MINERALS7, cls, f), path.join(photos, cls, f));
  }
  const wrong = '4bee8e6f33cc8f5b.jpg';
  assert.ok(!pick('quartz', PER_CLASS).includes(wrong));
  const planted = path.join(photos, 'pyrite', `from-quartz-${wrong}`);
  fs.copyFileSync(path.join(MINERALS7, 'quartz', wrong), planted);
  const file = path.join(dir, 'c.sqlite');
  const db = openDatabase(file);
  await importFolder(db, { folder: photos, labelsFromFolders: true });
  return { file, db, planted };
}

test('label-issues --mode quick, then --mode cv on the same catalogue; no backbone is a clear error', async () => {
  const { file, db, planted } = await catalogue();
  try {
    const run = await runCliInProcess(['label-issues', '--db', file, '--json', '--device', 'cpu']);
    assert.equal(run.status, 0, run.stderr);
    const r: LabelIssuesResult = LabelIssuesResultSchema.parse(JSON.parse(run.stdout));
    assert.equal(r.mode, 'quick');
    assert.deepEqual(r.classes, AUDITED);
    assert.deepEqual(r.too_small, [{ class: 'bornite', specimens: 3, groups: 3 }]);
    assert.equal(r.specimens_scored, 3 * PER_CLASS + 1);
    assert.equal(r.noise_matrix.length, 3);
    for (let j = 0; j < 3; j++) {
      const column = r.noise_matrix.reduce((a, row) => a + row[j]!, 0);
      assert.ok(Math.abs(column - 1) < 1e-9 || column === 0, `noise matrix column ${j} sums to ${column}`);
    }
    assert.ok(r.estimated_noise_rate > 0 && r.estimated_noise_rate < 0.5, `noise rate ${r.estimated_noise_rate}`);
    // The planted quartz photo filed under pyrite is found, with quartz suggested, and its evidence.
    const issue = r.issues.find((i) => i.path === planted);
    assert.ok(issue, `the planted wrong label is not among the issues: ${JSON.stringify(r.issues.map((i) => [i.path, i.label, i.suggested]))}`);
    assert.equal(issue.label, 'pyrite');
    assert.equal(issue.suggested, 'quartz');
    assert.deepEqual(Object.keys(issue.probabilities), AUDITED);
    assert.ok(Math.abs(issue.label_probability - issue.probabilities.pyrite!) < 1e-12);
    assert.equal(issue.neighbours.length, 5);
    assert.ok(issue.neighbours.every((n) => n.id !== issue.id && typeof n.label === 'string'));
    assert.ok(issue.neighbours.filter((n) => n.label === 'quartz').length >= 3, `neighbours: ${issue.neighbours.map((n) => n.label).join(', ')}`);
    assert.deepEqual(r.issues.map((i) => i.rank), r.issues.map((_, k) => k + 1));
    assert.ok(r.issues.every((i, k) => k === 0 || r.issues[k - 1]!.score <= i.score), 'ranked by score');
    // Outliers are scored over every photo with an embedding, the too-small class's too.
    assert.equal(r.outliers_scored, 3 * PER_CLASS + 1 + 3);
    assert.ok(r.outliers.every((o) => o.score > r.outlier_threshold));

    // An excluded photo is audited no more (nor an outlier); included again, it is back.
    assert.equal((await runCliInProcess(['exclude', planted, '--db', file])).status, 0);
    const without = LabelIssuesResultSchema.parse(JSON.parse((await runCliInProcess(['label-issues', '--db', file, '--json', '--device', 'cpu'])).stdout));
    assert.equal(without.specimens_scored, r.specimens_scored - 1);
    assert.equal(without.outliers_scored, r.outliers_scored - 1);
    assert.ok(!without.issues.some((i) => i.path === planted));
    assert.equal((await runCliInProcess(['include', planted, '--db', file])).status, 0);

    // The text output says what was set aside.
    const text = await runCliInProcess(['label-issues', '--db', file, '--device', 'cpu']);
    assert.equal(text.status, 0, text.stderr);
    assert.match(text.stdout, /too small to audit: "bornite" \(3 photos of 3 rocks; needs 5\)/);

    // cv mode reads a cross-validation run's out-of-fold predictions (stored here as `orelab cv` stores them):
    // a run that says every specimen is quartz makes every non-quartz photo an issue.
    const ids = db.prepare("SELECT s.id, c.name AS label FROM specimens s JOIN classes c ON c.id = s.label_class_id WHERE c.name != 'bornite' ORDER BY s.id").all() as { id: number; label: string }[];
    const cvRunId = startCvRun(db, { name: 'all-quartz', folds: 2, outDir: path.join(path.dirname(file), 'cv'), config: { foldSeed: 0 }, classes: AUDITED }, { fresh: true });
    putOutOfFoldPredictions(
      db,
      cvRunId,
      0,
      ids.map((s) => ({ specimenId: s.id, fold: 0, label: s.label, predictedClass: 'quartz', confidence: 0.8, probabilities: [0.1, 0.1, 0.8], loss: null })),
    );
    finishCvRun(db, cvRunId, 'completed', null);
    const cv = await runCliInProcess(['label-issues', '--db', file, '--mode', 'cv', '--cv-run', 'all-quartz', '--json', '--device', 'cpu']);
    assert.equal(cv.status, 0, cv.stderr);
    const c = LabelIssuesResultSchema.parse(JSON.parse(cv.stdout));
    assert.equal(c.mode, 'cv');
    assert.equal(c.source.cv_run, 'all-quartz');
    assert.equal(c.specimens_scored, ids.length);
    assert.deepEqual(new Set(c.issues.map((i) => i.suggested)), new Set(['quartz']));
    assert.ok(c.issues.every((i) => i.label !== 'quartz'));
    const byId = await runCliInProcess(['label-issues', '--db', file, '--mode', 'cv', '--cv-run', String(cvRunId), '--json', '--device', 'cpu']);
    assert.equal(byId.status, 0, byId.stderr);

    // Bad input: an unknown run names the known ones; --mode cv without a run is a usage error.
    const unknown = await runCliInProcess(['label-issues', '--db', file, '--mode', 'cv', '--cv-run', 'nope']);
    assert.equal(unknown.status, 1);
    assert.match(unknown.stderr, /no cross-validation run "nope".*all-quartz/);
    assert.equal((await runCliInProcess(['label-issues', '--db', file, '--mode', 'cv'])).status, 2);

    // No model named and no shipped backbone: a clear error, before anything is done.
    await assert.rejects(
      findLabelIssues({ db, cataloguePath: file }, LabelIssuesParamsSchema.parse({}), {}, { shippedBackbone: path.join(path.dirname(file), 'missing.safetensors') }),
      (err: unknown) => err instanceof UserError && /no model was given .* and the shipped ViT-Ti is missing/.test(err.message),
    );
    const missingModel = await runCliInProcess(['label-issues', '--db', file, '--model', path.join(path.dirname(file), 'none.onnx')]);
    assert.equal(missingModel.status, 1);
  } finally {
    db.close();
  }
});

test('a catalogue with fewer than two classes of K photos is refused, naming the classes, before embedding anything', async () => {
  const { file, db } = await catalogue();
  try {
    const run = await runCliInProcess(['label-issues', '--db', file, '--folds', '8', '--device', 'cpu']);
    assert.equal(run.status, 1);
    assert.match(run.stderr, /only "pyrite" has them; too small: "bornite" \(3 photos\), "malachite" \(7 photos\), "quartz" \(7 photos\); fewer --folds/);
    assert.equal((db.prepare('SELECT COUNT(*) AS n FROM embeddings').get() as { n: number }).n, 0);
  } finally {
    db.close();
  }
});
