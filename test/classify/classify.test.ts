import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import crypto from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import { parseCsv } from '../../src/main/jobs/classify/csv';
import { classifyFolder } from '../../src/main/jobs/classify/classify';
import { OnnxClassifier } from '../../src/main/jobs/inference/classifier';
import { getModel, openDatabase, registerModel } from '../../src/main/catalogue';
import { MINERALS7, tempDir } from '../helpers/fs';
import { makeTinyClassifier } from '../helpers/model';
import { makeJpeg } from '../helpers/images';
import { parseJson, runOrelab, spawnOrelab } from '../helpers/cli';

const CLASSES = ['biotite', 'bornite', 'chrysocolla', 'malachite', 'muscovite', 'pyrite', 'quartz'];
const sha = (file: string) => crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');

/** A labeled copy of part of minerals7: `perClass` photos of each of `classes`. */
function labeledFolder(root: string, classes: readonly string[], perClass: number): string[] {
  const copied: string[] = [];
  for (const c of classes) {
    fs.mkdirSync(path.join(root, c), { recursive: true });
    for (const f of fs.readdirSync(path.join(MINERALS7, c)).sort().slice(0, perClass)) {
      fs.copyFileSync(path.join(MINERALS7, c, f), path.join(root, c, f));
      copied.push(path.join(root, c, f));
    }
  }
  return copied;
}

function filesUnder(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return (fs.readdirSync(dir, { recursive: true }) as string[]).map((f) => path.join(dir, f)).filter((f) => fs.statSync(f).isFile());
}

interface SummaryJson {
  classified: number;
  resumed: number;
  review: number;
  errors: { path: string; reason: string }[];
  accuracy: number | null;
  report: { labeled: number; per_class: { class: string; support: number }[] } | null;
  files: { predictions: string; metrics: string | null; confusion: string | null; errors: string };
}

test('classify a labeled folder: accuracy, predictions/metrics/confusion CSVs, copies sorted with review', () => {
  const dir = tempDir();
  const model = makeTinyClassifier(dir, CLASSES);
  const photos = path.join(dir, 'photos');
  const originals = labeledFolder(photos, ['biotite', 'pyrite', 'quartz'], 6);
  const out = path.join(dir, 'sorted');
  const csv = path.join(dir, 'report.csv');
  const run = runOrelab(['classify', photos, '--model', model, '--csv', csv, '--sort-into', out, '--copy', '--review-below', '0.16', '--json']);
  assert.equal(run.status, 0, run.stderr);
  const summary = parseJson<SummaryJson>(run);
  assert.equal(summary.classified, 18);
  assert.equal(summary.report!.labeled, 18);
  assert.equal(typeof summary.accuracy, 'number');
  assert.deepEqual(
    summary.report!.per_class.filter((c) => c.support > 0).map((c) => [c.class, c.support]),
    [
      ['biotite', 6],
      ['pyrite', 6],
      ['quartz', 6],
    ],
  );
  const rows = parseCsv(fs.readFileSync(csv, 'utf8'));
  assert.deepEqual(rows[0]!.slice(0, 5), ['path', 'sha256', 'predicted', 'confidence', 'top3']);
  assert.equal(rows.length, 19);
  const header = rows[0]!;
  for (const r of rows.slice(1)) {
    const probs = CLASSES.map((c) => Number(r[header.indexOf(`p_${c}`)]));
    assert.ok(Math.abs(probs.reduce((a, b) => a + b, 0) - 1) < 1e-4);
    assert.equal(r[header.indexOf('review')], Number(r[header.indexOf('confidence')]) < 0.16 ? 'yes' : 'no');
  }
  const metrics = parseCsv(fs.readFileSync(summary.files.metrics!, 'utf8'));
  assert.deepEqual(metrics[0], ['class', 'support', 'precision', 'recall', 'f1']);
  const confusion = parseCsv(fs.readFileSync(summary.files.confusion!, 'utf8'));
  assert.equal(confusion.length, 1 + CLASSES.length);
  assert.equal(confusion.slice(1).reduce((a, r) => a + r.slice(1).reduce((x, v) => x + Number(v), 0), 0), 18);
  // Every photo was copied to exactly one class folder or _review, and the originals are untouched.
  const sorted = filesUnder(out);
  assert.equal(sorted.length, 18);
  assert.equal(filesUnder(path.join(out, '_review')).length, summary.review);
  assert.deepEqual(new Set(sorted.map(sha)), new Set(originals.map(sha)));
  for (const f of originals) assert.ok(fs.existsSync(f));
});

test('kill -9 while sorting a copy of minerals7 with --move loses no photo, and a re-run accounts for every file', async () => {
  const dir = tempDir();
  const model = makeTinyClassifier(dir, CLASSES, { batchSize: 2 });
  const photos = path.join(dir, 'photos');
  const originals = labeledFolder(photos, CLASSES, Infinity);
  assert.equal(originals.length, 804);
  const all = new Set(originals.map(sha));
  const out = path.join(dir, 'sorted');
  const csv = path.join(dir, 'report.csv');
  const args = ['classify', photos, '--model', model, '--csv', csv, '--sort-into', out, '--move', '--batch', '2'];
  const child = spawnOrelab(args);
  const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_c, signal) => resolve(signal)));
  let finished = false;
  void exited.then(() => (finished = true));
  while (!finished && filesUnder(out).length < 100) await delay(10);
  child.kill('SIGKILL');
  assert.equal(await exited, 'SIGKILL', 'the run finished before it could be killed');

  const survivors = [...filesUnder(photos), ...filesUnder(out).filter((f) => !path.basename(f).startsWith('.orelab-partial-'))];
  assert.deepEqual(new Set(survivors.map(sha)), all, 'every photo is at its source, its destination, or both');

  const left = filesUnder(photos).length;
  const rerun = runOrelab([...args, '--json']);
  assert.equal(rerun.status, 0, rerun.stderr);
  const summary = parseJson<SummaryJson>(rerun);
  // Photos still at the source were either classified before the kill (then only moved now) or not yet.
  assert.equal(summary.classified + summary.resumed, left);
  assert.deepEqual(filesUnder(photos), [], 'every photo has been moved');
  const sorted = filesUnder(out);
  assert.equal(sorted.length, originals.length);
  assert.deepEqual(new Set(sorted.map(sha)), all);
  const rows = parseCsv(fs.readFileSync(csv, 'utf8')).slice(1);
  assert.equal(new Set(rows.map((r) => r[1])).size, originals.length);
  assert.equal(rows.length, originals.length, 'one CSV row per photo, none repeated');
});

test('bad inputs are reported per file in the summary and the errors CSV; the rest is classified', async () => {
  const dir = tempDir();
  const model = makeTinyClassifier(dir, CLASSES);
  const photos = path.join(dir, 'photos');
  fs.mkdirSync(path.join(photos, 'quartz'), { recursive: true });
  fs.writeFileSync(path.join(photos, 'quartz', 'good one.jpg'), await makeJpeg(1, 80, 60));
  fs.writeFileSync(path.join(photos, 'quartz', 'Ünïcode 石.jpg'), await makeJpeg(2, 80, 60));
  fs.writeFileSync(path.join(photos, 'empty.jpg'), Buffer.alloc(0));
  fs.writeFileSync(path.join(photos, 'notes.jpg'), 'just some text\n');
  const full = await makeJpeg(3, 300, 200);
  fs.writeFileSync(path.join(photos, 'cut.jpg'), full.subarray(0, full.length >> 1));
  fs.symlinkSync('.', path.join(photos, 'loop'));
  const csv = path.join(dir, 'r.csv');
  const run = runOrelab(['classify', photos, '--model', model, '--csv', csv, '--json']);
  assert.equal(run.status, 0, run.stderr);
  const summary = parseJson<SummaryJson>(run);
  assert.equal(summary.classified, 2);
  const reasons = Object.fromEntries(summary.errors.map((e) => [path.basename(e.path), e.reason]));
  assert.match(reasons['empty.jpg']!, /empty file/);
  assert.match(reasons['notes.jpg']!, /not an image/);
  assert.match(reasons['cut.jpg']!, /truncated or corrupt/);
  assert.match(reasons['loop']!, /symlink loop/);
  const errorsCsv = parseCsv(fs.readFileSync(summary.files.errors, 'utf8'));
  assert.deepEqual(errorsCsv[0], ['path', 'reason']);
  assert.equal(errorsCsv.length - 1, summary.errors.length);
  const bad = runOrelab(['classify', photos, '--model', path.join(dir, 'none.onnx')]);
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, /none\.onnx: cannot read the model/);
  const notModel = path.join(dir, 'fake.onnx');
  fs.writeFileSync(notModel, 'not a model');
  assert.match(runOrelab(['classify', photos, '--model', notModel]).stderr, /fake\.onnx: not an ONNX model/);
});

test('with a catalogue, predictions are recorded, new photos become specimens, and a cancelled run resumes by hash', async () => {
  const dir = tempDir();
  const modelPath = makeTinyClassifier(dir, CLASSES);
  const photos = path.join(dir, 'photos');
  labeledFolder(photos, ['muscovite', 'bornite'], 8);
  const db = openDatabase(path.join(dir, 'c.sqlite'));
  const classifier = await OnnxClassifier.open(modelPath, { maxBatch: 4 });
  try {
    const controller = new AbortController();
    const first = await classifyFolder({
      folder: photos,
      classifier,
      db,
      batchSize: 4,
      signal: controller.signal,
      onProgress: (p) => {
        if (p.classified >= 4) controller.abort();
      },
    });
    assert.equal(first.cancelled, true);
    assert.ok(first.classified >= 4 && first.classified < 16, `stopped after ${first.classified}`);
    const second = await classifyFolder({ folder: photos, classifier, db, batchSize: 4 });
    assert.equal(second.resumed, first.classified);
    assert.equal(second.classified, 16 - first.classified);
    const counts = db.prepare('SELECT (SELECT COUNT(*) FROM specimens) AS specimens, (SELECT COUNT(*) FROM predictions WHERE model_id = ?) AS predictions').get(classifier.modelId);
    assert.deepEqual(counts, { specimens: 16, predictions: 16 });
    const thumbs = db.prepare('SELECT COUNT(*) AS n FROM thumbnails').get() as { n: number };
    assert.equal(thumbs.n, 16);
  } finally {
    await classifier.close();
    db.close();
  }
});

test('orelab export writes the same predictions, metrics and confusion files from the catalogue', () => {
  const dir = tempDir();
  const model = makeTinyClassifier(dir, CLASSES);
  const photos = path.join(dir, 'photos');
  labeledFolder(photos, ['malachite', 'quartz'], 5);
  const db = path.join(dir, 'c.sqlite');
  assert.equal(runOrelab(['import', photos, '--labels-from-folders', '--db', db]).status, 0);
  const csv = path.join(dir, 'run.csv');
  const run = parseJson<SummaryJson & { modelId: string }>(runOrelab(['classify', photos, '--model', model, '--db', db, '--csv', csv, '--json']));
  for (const kind of ['metrics', 'confusion', 'predictions'] as const) {
    const out = path.join(dir, `export-${kind}.csv`);
    const r = runOrelab(['export', kind, '--db', db, '--model', run.modelId.slice(0, 8), '--csv', out]);
    assert.equal(r.status, 0, r.stderr);
    const exported = parseCsv(fs.readFileSync(out, 'utf8'));
    if (kind === 'predictions') {
      const original = parseCsv(fs.readFileSync(csv, 'utf8'));
      const column = (rows: string[][], name: string) => rows.slice(1).map((row) => row[rows[0]!.indexOf(name)]).sort();
      for (const name of ['sha256', 'predicted', 'p_quartz', 'label']) assert.deepEqual(column(exported, name), column(original, name), name);
    } else {
      const original = parseCsv(fs.readFileSync(kind === 'metrics' ? run.files.metrics! : run.files.confusion!, 'utf8'));
      assert.deepEqual(exported, original);
    }
  }
  const unknown = runOrelab(['export', 'metrics', '--db', db, '--model', 'ffff', '--csv', path.join(dir, 'x.csv')]);
  assert.equal(unknown.status, 1);
  assert.match(unknown.stderr, /no model "ffff" in the catalogue; known: /);
});

test('a model id prefix that matches two models is refused, naming both', () => {
  const dir = tempDir();
  const db = openDatabase(path.join(dir, 'c.sqlite'));
  for (const id of ['abcd1111', 'abcd2222']) registerModel(db, { id, path: `/m/${id}.onnx`, runId: null, name: id, classes: ['a', 'b'], metadata: {} });
  assert.equal(getModel(db, 'abcd1')!.id, 'abcd1111');
  assert.throws(() => getModel(db, 'abcd'), /"abcd" matches 2 models \(abcd1111, abcd2222\)/);
  assert.equal(getModel(db, 'ffff'), undefined);
  db.close();
  const ambiguous = runOrelab(['export', 'metrics', '--db', path.join(dir, 'c.sqlite'), '--model', 'abcd', '--csv', path.join(dir, 'm.csv')]);
  assert.equal(ambiguous.status, 1);
  assert.match(ambiguous.stderr, /^orelab export: "abcd" matches 2 models \(abcd1111, abcd2222\); give more of the id\n$/);
});
