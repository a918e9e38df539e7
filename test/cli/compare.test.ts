// `orelab compare` through the real CLI, on a real catalogue of JPEGs and two real (tiny, untrained) models
// evaluated on its test split: the counts, McNemar's test and the discordant photos are checked against the
// predictions table read directly, and a cross-validation comparison against the same predictions filed as two
// CV runs' out-of-fold predictions.
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { getSpecimen, openDatabase, photoGroups, requireModel, updateSpecimenMetadata } from '../../src/main/catalogue';
import { argmax, classificationReport } from '../../src/shared/metrics';
import { wilsonInterval } from '../../src/shared/intervals';
import { catalogueReport } from '../../src/main/jobs/classify/export';
import { CompareResultSchema, type CompareResult } from '../../src/shared/schemas';
import { createCore } from '../../src/main/ipc/core';
import { runCliInProcess } from '../helpers/cli';
import { tempDir } from '../helpers/fs';
import { makeJpeg } from '../helpers/images';
import { makeTinyClassifier } from '../helpers/model';

const CLASSES = ['biotite', 'muscovite', 'quartz'];
const PER_CLASS = 8;

interface Setup {
  db: string;
  modelA: { file: string; id: string };
  modelB: { file: string; id: string };
  modelC: { file: string; id: string };
}

let setup: Setup;
// At the top level: a temp folder made inside `before` would be removed when the hook ends.
const dir = tempDir();

async function cli(argv: string[]): Promise<{ status: number; stdout: string; stderr: string }> {
  return runCliInProcess(argv);
}

async function ok(argv: string[]): Promise<string> {
  const run = await cli(argv);
  assert.equal(run.status, 0, `orelab ${argv.join(' ')}: ${run.stderr}`);
  return run.stdout;
}

/** Three classes of eight photos, all in the test split; models A and B evaluated on it, C not. */
before(async () => {
  const photos = path.join(dir, 'photos');
  for (const [c, name] of CLASSES.entries()) {
    fs.mkdirSync(path.join(photos, name), { recursive: true });
    for (let i = 0; i < PER_CLASS; i++) fs.writeFileSync(path.join(photos, name, `${i}.jpg`), await makeJpeg(100 * c + i));
  }
  const db = path.join(dir, 'c.sqlite');
  await ok(['import', photos, '--labels-from-folders', '--db', db]);
  await ok(['split', '--ratios', '0:0:1', '--db', db]);
  const evaluated = async (seed: number, evaluate: boolean) => {
    const file = makeTinyClassifier(dir, CLASSES, { seed });
    if (!evaluate) return { file, id: '' };
    const out = JSON.parse(await ok(['eval', '--model', file, '--db', db, '--split', 'test', '--json'])) as { model: string };
    return { file, id: out.model };
  };
  // Untrained, most seeds predict one class for every photo; seeds 3 and 4 spread over two classes each
  // (A: biotite and muscovite, B: biotite and quartz), so the two disagree on many photos.
  setup = { db, modelA: await evaluated(3, true), modelB: await evaluated(4, true), modelC: await evaluated(1, false) };
});

/** Specimen id → its label, A's and B's predictions and its path, read straight from the tables. */
function storedOutcomes(db: string, a: string, b: string): Map<number, { id: number; label: string; a: string; b: string; path: string }> {
  const check = new Database(db, { readonly: true });
  try {
    const rows = check
      .prepare(
        `SELECT s.id, s.path, c.name AS label, pa.predicted_class AS a, pb.predicted_class AS b FROM specimens s JOIN classes c ON c.id = s.label_class_id
           JOIN predictions pa ON pa.specimen_id = s.id AND pa.model_id = ? JOIN predictions pb ON pb.specimen_id = s.id AND pb.model_id = ?`,
      )
      .all(a, b) as { id: number; path: string; label: string; a: string; b: string }[];
    return new Map(rows.map((r) => [r.id, r]));
  } finally {
    check.close();
  }
}

/** How many photo groups the specimens form (a specimen in no group is its own). */
function groupCount(db: string, specimenIds: readonly number[]): number {
  const catalogue = openDatabase(db, { readonly: true });
  try {
    const { groupOf } = photoGroups(catalogue);
    return new Set(specimenIds.map((id) => groupOf.get(id) ?? id)).size;
  } finally {
    catalogue.close();
  }
}

/** Two-sided exact binomial p of the discordant pairs, summed from the binomial coefficients. */
function binomialP(b: number, c: number): number {
  const n = b + c;
  let coefficient = 1;
  let tail = 0;
  for (let k = 0; k <= Math.min(b, c); k++) {
    tail += coefficient;
    coefficient = (coefficient * (n - k)) / (k + 1);
  }
  return Math.min(1, (2 * tail) / 2 ** n);
}

test('orelab compare --split: both sides, the paired difference, McNemar and the discordant photos, from the same predictions', async () => {
  const { db, modelA, modelB } = setup;
  const run = await cli(['compare', '--db', db, modelA.id.slice(0, 8), modelB.id, '--split', 'test', '--json']);
  assert.equal(run.status, 0, run.stderr);
  const result: CompareResult = CompareResultSchema.parse(JSON.parse(run.stdout));

  const stored = storedOutcomes(db, modelA.id, modelB.id);
  const rows = [...stored.values()];
  const right = (side: 'a' | 'b') => rows.filter((r) => r[side] === r.label).length;
  const onlyA = rows.filter((r) => r.a === r.label && r.b !== r.label);
  const onlyB = rows.filter((r) => r.b === r.label && r.a !== r.label);
  assert.equal(result.n, CLASSES.length * PER_CLASS);
  assert.equal(result.n, rows.length);
  assert.equal(result.skipped, 0);
  assert.equal(result.unpaired, 0);
  assert.equal(result.groups, groupCount(db, [...stored.keys()]), 'the photo groups are the resampled units');
  assert.deepEqual([result.a.id, result.b.id], [modelA.id, modelB.id]);
  assert.equal(result.a.accuracy, right('a') / rows.length);
  assert.equal(result.b.accuracy, right('b') / rows.length);
  assert.deepEqual(result.a.accuracy_ci, wilsonInterval(right('a'), rows.length));
  assert.equal(result.difference.accuracy.estimate, result.a.accuracy - result.b.accuracy);
  assert.deepEqual(result.mcnemar, { b: onlyA.length, c: onlyB.length, p_value: result.mcnemar.p_value });
  assert.ok(Math.abs(result.mcnemar.p_value - binomialP(onlyA.length, onlyB.length)) < 1e-12);
  assert.ok(onlyA.length + onlyB.length > 0, 'two differently initialised models disagree somewhere (else the test checks nothing)');
  assert.deepEqual(
    result.discordant.map((d) => d.id),
    [...onlyA, ...onlyB].map((r) => r.id).sort((x, y) => x - y),
  );
  for (const d of result.discordant) assert.deepEqual({ id: d.id, label: d.label, a: d.a_predicted, b: d.b_predicted, path: d.path }, stored.get(d.id));
  for (const figure of [result.difference.accuracy, result.difference.macro_f1]) {
    assert.ok(figure.ci[0] <= figure.estimate && figure.estimate <= figure.ci[1], `${figure.estimate} lies in ${figure.ci}`);
  }

  // The same predictions as `orelab eval` scored them: the same accuracy and macro F1.
  const evalA = JSON.parse(await ok(['eval', '--model', modelA.file, '--db', db, '--split', 'test', '--json'])) as { accuracy: number; macro_f1: number; accuracy_ci: unknown; macro_f1_ci: unknown };
  assert.equal(result.a.accuracy, evalA.accuracy);
  assert.ok(Math.abs(result.a.macro_f1 - evalA.macro_f1) < 1e-12);
  // eval --json carries the intervals too: the same Wilson interval; a bootstrap one over the same photos.
  assert.deepEqual(evalA.accuracy_ci, result.a.accuracy_ci);
  assert.equal((evalA.macro_f1_ci as number[]).length, 2);

  // Swapping the sides mirrors everything.
  const swapped = CompareResultSchema.parse(JSON.parse(await ok(['compare', '--db', db, modelB.id, modelA.id, '--split', 'test', '--json'])));
  assert.deepEqual(swapped.mcnemar, { b: result.mcnemar.c, c: result.mcnemar.b, p_value: result.mcnemar.p_value });
  assert.equal(swapped.difference.accuracy.estimate, -result.difference.accuracy.estimate);

  // The text table says the same.
  const text = await ok(['compare', '--db', db, modelA.id, modelB.id, '--split', 'test']);
  assert.match(text, new RegExp(`right only by A ${onlyA.length}, only by B ${onlyB.length}`));
  assert.match(text, new RegExp(`discordant photos \\(${result.discordant.length}\\)`));
  for (const d of result.discordant) assert.ok(text.includes(d.path), `${d.path} is listed`);
});

test('orelab compare resamples photo groups whole: photos that share a sample code are one unit', async () => {
  const { db, modelA, modelB } = setup;
  const catalogue = openDatabase(db);
  try {
    // Specimens 1–4, 9–12 and 17–20 are three rocks of four photos each; the other 12 stand alone.
    for (let id = 1; id <= CLASSES.length * PER_CLASS; id++) if ((id - 1) % PER_CLASS < 4) updateSpecimenMetadata(catalogue, id, { sampleCode: `rock-${Math.floor((id - 1) / PER_CLASS)}` });
  } finally {
    catalogue.close();
  }
  try {
    const grouped = CompareResultSchema.parse(JSON.parse(await ok(['compare', '--db', db, modelA.id, modelB.id, '--split', 'test', '--json'])));
    const ids = Array.from({ length: CLASSES.length * PER_CLASS }, (_, i) => i + 1);
    assert.equal(grouped.groups, groupCount(db, ids));
    assert.ok(grouped.groups <= 3 + 12, `${grouped.groups} units: each rock's four photos count once`);
    assert.equal(grouped.n, CLASSES.length * PER_CLASS, 'a group is resampled whole, never dropped');
    // eval --split and the Reports page's report resample the same photo groups: their macro F1 intervals are
    // the ones computed here over the stored predictions with those groups, not the photo-by-photo ones.
    const evalA = JSON.parse(await ok(['eval', '--model', modelA.file, '--db', db, '--split', 'test', '--json'])) as { macro_f1_ci: number[] };
    const read = openDatabase(db);
    try {
      const model = requireModel(read, modelA.id);
      const rows = read
        .prepare("SELECT p.specimen_id AS id, p.probabilities, c.name AS label FROM predictions p JOIN specimens s ON s.id = p.specimen_id JOIN classes c ON c.id = s.label_class_id WHERE p.model_id = ? AND s.split = 'test'")
        .all(model.id) as { id: number; probabilities: string; label: string }[];
      const expected = (order: (a: (typeof rows)[number], b: (typeof rows)[number]) => number, grouped: boolean) => {
        const sorted = [...rows].sort(order);
        const { groupOf } = photoGroups(read);
        const truth = sorted.map((r) => model.classes.indexOf(r.label));
        const predicted = sorted.map((r) => argmax(JSON.parse(r.probabilities) as number[]));
        return classificationReport(model.classes, truth, predicted, grouped ? { groups: sorted.map((r) => groupOf.get(r.id)!) } : {}).macro_f1_ci;
      };
      const byId = (a: { id: number }, b: { id: number }) => a.id - b.id;
      assert.deepEqual(evalA.macro_f1_ci, expected(byId, true));
      assert.notDeepEqual(expected(byId, true), expected(byId, false), 'the groups change the interval here');
      const byPath = (a: { id: number }, b: { id: number }) => getSpecimen(read, a.id)!.path.localeCompare(getSpecimen(read, b.id)!.path);
      assert.deepEqual(catalogueReport(read, model, 'test').macro_f1_ci, expected(byPath, true));
    } finally {
      read.close();
    }
  } finally {
    const catalogue = openDatabase(db);
    for (let id = 1; id <= CLASSES.length * PER_CLASS; id++) updateSpecimenMetadata(catalogue, id, { sampleCode: null });
    catalogue.close();
  }
});

/** Files a model's stored predictions as a CV run's out-of-fold predictions (what `orelab cv` records). */
function fileAsCvRun(db: string, name: string, modelId: string, relabel: { specimenId: number; label: string } | null, leaveOut = -1): void {
  const write = new Database(db);
  try {
    const runId = Number(
      write
        .prepare(`INSERT INTO cv_runs (name, created_at, status, folds, out_dir, config, classes) VALUES (?, '2026-01-01T00:00:00Z', 'completed', 2, '/tmp', '{}', ?)`)
        .run(name, JSON.stringify(CLASSES)).lastInsertRowid,
    );
    write
      .prepare(
        `INSERT INTO cv_predictions (cv_run_id, specimen_id, fold, label, predicted_class, confidence, probabilities, loss, created_at)
         SELECT ?, p.specimen_id, p.specimen_id % 2, CASE WHEN p.specimen_id = ? THEN ? ELSE c.name END, p.predicted_class, p.confidence, p.probabilities, p.loss, p.created_at
           FROM predictions p JOIN specimens s ON s.id = p.specimen_id JOIN classes c ON c.id = s.label_class_id WHERE p.model_id = ? AND s.id != ?`,
      )
      .run(runId, relabel?.specimenId ?? -1, relabel?.label ?? '', modelId, leaveOut);
  } finally {
    write.close();
  }
}

test('orelab compare --cv: two runs out-of-fold predictions, on the specimens both scored against the same label', async () => {
  const { db, modelA, modelB } = setup;
  fileAsCvRun(db, 'run-a', modelA.id, null);
  // Run B scored specimen 1 against another label (relabeled between the runs): it cannot be paired. Run B
  // has no prediction of specimen 2 (say, it was imported after the run): it is unpaired.
  fileAsCvRun(db, 'run-b', modelB.id, { specimenId: 1, label: 'quartz' }, 2);
  const bySplit = CompareResultSchema.parse(JSON.parse(await ok(['compare', '--db', db, modelA.id, modelB.id, '--split', 'test', '--json'])));
  const byCv = CompareResultSchema.parse(JSON.parse(await ok(['compare', '--db', db, 'run-a', 'run-b', '--cv', '--json'])));
  assert.deepEqual(byCv.source, { kind: 'cv' });
  assert.deepEqual([byCv.a.id, byCv.b.id], ['run-a', 'run-b']);
  assert.equal(byCv.n, bySplit.n - 2);
  assert.equal(byCv.skipped, 1);
  assert.equal(byCv.unpaired, 1);
  assert.deepEqual(
    byCv.discordant,
    bySplit.discordant.filter((d) => d.id !== 1 && d.id !== 2),
  );

  const unknown = await cli(['compare', '--db', db, 'run-a', 'run-z', '--cv']);
  assert.equal(unknown.status, 1);
  assert.match(unknown.stderr, /no cross-validation run "run-z" in the catalogue; known: "run-a", "run-b"/);
});

test('orelab compare refuses what it cannot compare, naming the model to evaluate', async () => {
  const { db, modelA, modelB, modelC } = setup;
  // C enters the catalogue by an evaluation of another split (here an empty one), not of the test split.
  const cId = (JSON.parse(await ok(['eval', '--model', modelC.file, '--db', db, '--split', 'val', '--json'])) as { model: string }).model;
  const notEvaluated = await cli(['compare', '--db', db, modelA.id, cId, '--split', 'test']);
  assert.equal(notEvaluated.status, 1);
  assert.ok(notEvaluated.stderr.includes(`model ${cId}`), notEvaluated.stderr);
  assert.ok(notEvaluated.stderr.includes(`orelab eval --model ${modelC.file} --db ${db} --split test`), notEvaluated.stderr);

  const same = await cli(['compare', '--db', db, modelA.id, modelA.id.slice(0, 6), '--split', 'test']);
  assert.equal(same.status, 1);
  assert.match(same.stderr, /are the same model/);

  const missing = await cli(['compare', '--db', db, modelA.id, 'ffffffffff', '--split', 'test']);
  assert.equal(missing.status, 1);
  assert.match(missing.stderr, /no model "ffffffffff"/);

  for (const argv of [
    [modelA.id, modelB.id],
    [modelA.id, modelB.id, '--split', 'test', '--cv'],
    [modelA.id, '--split', 'test'],
    [modelA.id, modelB.id, '--split', 'holdout'],
    [modelA.id, modelB.id, '--split', 'test', '--resamples', '10'],
  ]) {
    const usage = await cli(['compare', '--db', db, ...argv]);
    assert.equal(usage.status, 2, `${argv.join(' ')}: ${usage.stderr}`);
    assert.match(usage.stderr, /usage: orelab compare/);
  }
});

test("the app's reports.compare request reaches the same service: the same result as the CLI's JSON", async () => {
  const { db, modelA, modelB } = setup;
  const core = createCore({ shell: 'harness', version: 'test' }, { progressIntervalMs: 0 });
  try {
    core.session.open(db, false);
    const viaIpc = await core.invoke('reports.compare', { a: modelA.id, b: modelB.id, source: { kind: 'split', split: 'test' } });
    assert.ok(viaIpc.ok, JSON.stringify(viaIpc));
    const viaCli = JSON.parse(await ok(['compare', '--db', db, modelA.id, modelB.id, '--split', 'test', '--json'])) as unknown;
    assert.deepEqual(viaIpc.value, viaCli);
    const bad = await core.handleRequest('reports.compare', { a: modelA.id, b: modelB.id, source: { kind: 'split', split: 'test' }, resamples: 5 });
    assert.equal(bad.ok ? 'ok' : bad.error.code, 'invalid-request', 'the contract refuses fewer than 100 resamples');
  } finally {
    await core.shutdown();
  }
});
