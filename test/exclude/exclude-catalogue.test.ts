// Exclusion as a catalogue state: an excluded photo leaves every selection that trains, evaluates, splits or
// folds (read here at the catalogue's own queries, no training needed), keeps its label and split, shows in the
// browse list with a filterable state and in its label history, and undo / redo revert and re-apply it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import Database from 'better-sqlite3';
import {
  activeLabeledSpecimens,
  applyLabelChanges,
  assignSplits,
  catalogueStats,
  confusionCellSpecimens,
  countFiltered,
  countUnsplitLabeled,
  describeLabelOpChange,
  ensureClass,
  getSpecimen,
  labeledSplitSpecimens,
  labelHistory,
  openDatabase,
  pageSpecimens,
  redoLabelOp,
  requireModel,
  setExclusion,
  splitAudit,
  splitLabeledSpecimens,
  undoLabelOp,
  unpredictedCount,
  updateSpecimenMetadata,
  type Db,
} from '../../src/main/catalogue';
import { LATEST_SCHEMA_VERSION, MIGRATIONS } from '../../src/main/catalogue/migrations';
import { catalogueReport } from '../../src/main/jobs/classify/export';
import { loadTrainingDataset } from '../../src/main/jobs/train/dataset';
import { cvPredictedLabels, splitPredictedLabels } from '../../src/main/catalogue/compare';
import { excludeSpecimens, includeSpecimens } from '../../src/main/services/exclude';
import { tempDir } from '../helpers/fs';
import { addSpecimens } from '../helpers/specimens';

function catalogue(): Db {
  return openDatabase(path.join(tempDir(), 'c.sqlite'));
}

/** 12 quartz and 12 pyrite, split 8:2:2 per class with seed 1. */
function splitCatalogue(): { db: Db; quartz: number[]; pyrite: number[] } {
  const db = catalogue();
  const quartz = addSpecimens(db, 'quartz', 12);
  const pyrite = addSpecimens(db, 'pyrite', 12);
  assignSplits(db, 1, { train: 8, val: 2, test: 2 });
  return { db, quartz, pyrite };
}

const ids = (rows: { id: number }[]) => new Set(rows.map((r) => r.id));
const splitOf = (db: Db, id: number) => getSpecimen(db, id)!.split;

test('an excluded photo leaves training, evaluation and cross-validation, and keeps its label and split', () => {
  const { db, quartz } = splitCatalogue();
  const trainPhoto = quartz.find((id) => splitOf(db, id) === 'train')!;
  const testPhoto = quartz.find((id) => splitOf(db, id) === 'test')!;
  const before = loadTrainingDataset(db);
  assert.ok(ids(splitLabeledSpecimens(db)).has(trainPhoto));
  assert.ok(ids(labeledSplitSpecimens(db, 'test')).has(testPhoto));

  const r = setExclusion(db, [trainPhoto, testPhoto], { exclude: true, reason: 'a bead necklace' });
  assert.ok(r.opId > 0);
  assert.deepEqual(r.changed.sort(), [trainPhoto, testPhoto].sort());

  assert.ok(!ids(splitLabeledSpecimens(db)).has(trainPhoto), 'training data');
  assert.ok(!ids(activeLabeledSpecimens(db)).has(trainPhoto), 'cross-validation folds');
  assert.ok(!ids(activeLabeledSpecimens(db)).has(testPhoto), 'cross-validation folds');
  assert.ok(!ids(labeledSplitSpecimens(db, 'test')).has(testPhoto), 'evaluation of the test split');
  assert.equal(activeLabeledSpecimens(db).length, 22);

  // The training dataset (and so the class weights, made from its train counts) no longer counts it.
  const after = loadTrainingDataset(db);
  const q = after.classes.indexOf('quartz');
  assert.equal(after.trainCounts[q], before.trainCounts[before.classes.indexOf('quartz')]! - 1);
  assert.ok(!after.splits.train.some((it) => it.specimenId === trainPhoto));
  assert.ok(!after.splits.test.some((it) => it.specimenId === testPhoto));
  assert.notEqual(after.hash, before.hash);

  // Label and split stay, for when it comes back.
  const s = getSpecimen(db, trainPhoto)!;
  assert.equal(s.label, 'quartz');
  assert.equal(s.split, 'train');
  assert.equal(s.excludedReason, 'a bead necklace');
  assert.ok(s.excludedAt);

  // Included again: exactly the data it was.
  setExclusion(db, [trainPhoto, testPhoto], { exclude: false });
  assert.equal(loadTrainingDataset(db).hash, before.hash);
  db.close();
});

test('split assignment skips excluded photos; the split audit does not count them as leaks', () => {
  const db = catalogue();
  const [a, b] = addSpecimens(db, 'quartz', 2, { sampleCode: 'ROCK-1' });
  addSpecimens(db, 'quartz', 6);
  addSpecimens(db, 'pyrite', 8);
  const [late] = addSpecimens(db, 'pyrite', 1);
  setExclusion(db, [late!], { exclude: true });
  assert.equal(countUnsplitLabeled(db), 16);
  const split = assignSplits(db, 3);
  assert.equal(split.assigned, 16);
  assert.equal(getSpecimen(db, late!)!.split, null, 'an excluded photo gets no split');
  assert.equal(countUnsplitLabeled(db), 0, 'training does not try to split it again');

  // One rock in two splits is a leak, until one of its two photos is excluded.
  db.prepare(`UPDATE specimens SET split = 'train' WHERE id = ?`).run(a);
  db.prepare(`UPDATE specimens SET split = 'test' WHERE id = ?`).run(b);
  assert.equal(splitAudit(db).leaks.length, 1);
  setExclusion(db, [b!], { exclude: true });
  const audit = splitAudit(db);
  assert.equal(audit.leaks.length, 0);
  assert.equal(audit.groups, 0, 'a group of one included photo is no group');
  db.close();
});

test('a comparison of stored predictions and the Reports page leave excluded photos out', () => {
  const { db, quartz } = splitCatalogue();
  const tests = quartz.filter((id) => splitOf(db, id) === 'test');
  db.prepare(`INSERT INTO models (id, path, name, classes, metadata, created_at) VALUES ('m', '/m.onnx', 'm', '["pyrite","quartz"]', '{}', 'now')`).run();
  db.prepare(`INSERT INTO cv_runs (id, name, created_at, status, folds, out_dir, config, classes) VALUES (1, 'cv', 'now', 'completed', 2, '/cv', '{}', '[]')`).run();
  for (const id of tests) {
    db.prepare(`INSERT INTO predictions (model_id, specimen_id, predicted_class, confidence, probabilities, created_at) VALUES ('m', ?, 'quartz', 0.9, '[0.1,0.9]', 'now')`).run(id);
    db.prepare(`INSERT INTO cv_predictions (cv_run_id, specimen_id, fold, label, predicted_class, confidence, probabilities, created_at) VALUES (1, ?, 0, 'quartz', 'quartz', 0.9, '[0.1,0.9]', 'now')`).run(id);
  }
  const model = requireModel(db, 'm');
  const unpredicted = unpredictedCount(db, model, null);
  assert.equal(catalogueReport(db, model, 'test').labeled, tests.length);
  setExclusion(db, [tests[0]!], { exclude: true });
  assert.deepEqual(splitPredictedLabels(db, 'm', 'test').map((p) => p.specimenId), tests.slice(1));
  assert.deepEqual(cvPredictedLabels(db, 1).map((p) => p.specimenId), tests.slice(1));
  // The Reports page's metrics, its confusion cells and its count of labeled photos not yet predicted.
  assert.equal(catalogueReport(db, model, 'test').labeled, tests.length - 1);
  assert.equal(confusionCellSpecimens(db, model, 'test', 'quartz', 'quartz', 0, 100).total, tests.length - 1);
  const trainPhoto = quartz.find((id) => splitOf(db, id) === 'train')!;
  setExclusion(db, [trainPhoto], { exclude: true });
  assert.equal(unpredictedCount(db, model, null), unpredicted - 1);
  db.close();
});

test('catalogue stats count excluded photos apart: in no class, split or weight', () => {
  const db = catalogue();
  const quartz = addSpecimens(db, 'quartz', 10);
  addSpecimens(db, 'pyrite', 5);
  const [loose] = addSpecimens(db, null, 2);
  const before = catalogueStats(db);
  assert.equal(before.excluded, 0);
  setExclusion(db, [quartz[0]!, quartz[1]!, loose!], { exclude: true });
  const s = catalogueStats(db);
  assert.equal(s.total, 17);
  assert.equal(s.excluded, 3);
  assert.equal(s.labeled, 13);
  assert.equal(s.unlabeled, 1);
  assert.equal(s.total, s.labeled + s.unlabeled + s.excluded);
  const q = s.classes.find((c) => c.name === 'quartz')!;
  assert.equal(q.count, 8);
  assert.equal(q.splits.unassigned, 8);
  // W = N / (C · n): the weights are of the counts without the excluded photos.
  assert.ok(Math.abs(q.weightInverse - 13 / (2 * 8)) < 1e-9);
  db.close();
});

test('the browse list keeps excluded photos, marked, and filters by the state', () => {
  const db = catalogue();
  const photos = addSpecimens(db, 'quartz', 5);
  setExclusion(db, photos.slice(0, 2), { exclude: true });
  assert.equal(countFiltered(db, {}), 5);
  assert.equal(countFiltered(db, { excluded: true }), 2);
  assert.equal(countFiltered(db, { excluded: false }), 3);
  const page = pageSpecimens(db, {}, 0, 10);
  assert.deepEqual(
    page.items.map((i) => i.excluded),
    [true, true, false, false, false],
  );
  assert.deepEqual(pageSpecimens(db, { excluded: true }, 0, 10).items.map((i) => i.id), photos.slice(0, 2));
  db.close();
});

test('exclude is one operation: undo includes again, redo excludes again, each in the label history', () => {
  const db = catalogue();
  const photos = addSpecimens(db, 'quartz', 3);
  const other = addSpecimens(db, 'pyrite', 1);
  const r = excludeSpecimens({ db }, { specimenIds: photos, reason: 'jewellery' });
  assert.equal(r.changed, 3);
  assert.equal(r.unchanged, 0);
  assert.equal(catalogueStats(db).excluded, 3);

  const preview = describeLabelOpChange(db, 'undo')!;
  assert.equal(preview.opId, r.opId);
  assert.equal(preview.kind, 'exclude');
  assert.equal(preview.description, 'exclude 3 photos (jewellery)');
  assert.equal(preview.included, 3);
  assert.equal(preview.excluded, 0);
  assert.equal(preview.specimens, 3);
  assert.equal(preview.consequence, '3 photos will be included in training and evaluation again.');

  const undone = undoLabelOp(db)!;
  assert.equal(undone.undoneOpId, r.opId);
  assert.equal(undone.summary, '3 photos included again');
  assert.equal(undone.reverted, 3);
  assert.equal(catalogueStats(db).excluded, 0);
  assert.equal(activeLabeledSpecimens(db).length, 4);
  for (const id of photos) assert.equal(getSpecimen(db, id)!.excludedAt, null);

  const redone = redoLabelOp(db)!;
  assert.equal(redone.opId, r.opId);
  assert.equal(redone.summary, '3 photos excluded');
  assert.equal(catalogueStats(db).excluded, 3);
  // Redo brings the reason back with the state.
  assert.equal(getSpecimen(db, photos[0]!)!.excludedReason, 'jewellery');
  assert.deepEqual(ids(activeLabeledSpecimens(db)), new Set(other));

  // Each photo's history: excluded, included by the undo, excluded by the redo; its label unchanged throughout.
  const history = labelHistory(db, photos[1]!);
  assert.deepEqual(
    history.map((h) => [h.exclusion, h.from, h.to, h.description]),
    [
      ['excluded', 'quartz', 'quartz', 'exclude 3 photos (jewellery)'],
      ['included', 'quartz', 'quartz', 'undo: exclude 3 photos (jewellery)'],
      ['excluded', 'quartz', 'quartz', 'redo: exclude 3 photos (jewellery)'],
    ],
  );
  assert.deepEqual(labelHistory(db, other[0]!), []);

  // Include is its own undoable operation.
  const inc = includeSpecimens({ db }, { specimenIds: [photos[0]!, other[0]!] });
  assert.equal(inc.changed, 1);
  assert.equal(inc.unchanged, 1, 'a photo that was never excluded is left as it is');
  assert.equal(catalogueStats(db).excluded, 2);
  const undoInclude = undoLabelOp(db)!;
  assert.equal(undoInclude.kind, 'include');
  assert.equal(undoInclude.summary, '1 photo excluded');
  assert.equal(catalogueStats(db).excluded, 3);
  db.close();
});

test('excluding an excluded photo changes nothing and makes no operation; undo skips a photo changed since', () => {
  const db = catalogue();
  const photos = addSpecimens(db, 'quartz', 2);
  const first = setExclusion(db, photos, { exclude: true });
  const again = setExclusion(db, photos, { exclude: true, reason: 'twice' });
  assert.equal(again.opId, 0);
  assert.deepEqual(again.unchanged.sort(), [...photos].sort());
  assert.equal(getSpecimen(db, photos[0]!)!.excludedReason, null, 'the first exclusion stands as it was');
  assert.equal(describeLabelOpChange(db, 'undo')!.opId, first.opId);

  // One of the two is included again by hand; undoing the exclusion leaves it and includes the other.
  setExclusion(db, [photos[0]!], { exclude: false });
  const undone = undoLabelOp(db, first.opId)!;
  assert.equal(undone.included, 1);
  assert.equal(undone.skipped, 1);
  assert.equal(catalogueStats(db).excluded, 0);

  // An exclusion and a label change of the same photo are undone independently.
  const quartz = ensureClass(db, 'quartz');
  const pyrite = ensureClass(db, 'pyrite');
  const ex = setExclusion(db, [photos[1]!], { exclude: true });
  const relabel = applyLabelChanges(db, { specimenIds: [photos[1]!], toClassId: pyrite, source: 'manual', kind: 'label', description: 'label 1 as pyrite' });
  undoLabelOp(db, ex.opId);
  assert.equal(getSpecimen(db, photos[1]!)!.label, 'pyrite');
  assert.equal(getSpecimen(db, photos[1]!)!.excludedAt, null);
  undoLabelOp(db, relabel);
  assert.equal(getSpecimen(db, photos[1]!)!.labelClassId, quartz);
  db.close();
});

test('migration 4 on a catalogue made at schema 3 keeps every row and adds the included state', () => {
  const file = path.join(tempDir(), 'v3.sqlite');
  const raw = new Database(file);
  for (const m of MIGRATIONS.filter((m) => m.version <= 3)) raw.exec(m.sql);
  raw.pragma('user_version = 3');
  raw.prepare(`INSERT INTO classes (id, name, created_at) VALUES (1, 'quartz', 'then')`).run();
  const insert = raw.prepare(
    `INSERT INTO specimens (sha256, path, original_name, byte_size, format, width, height, imported_at, label_class_id, split, flagged, phash)
     VALUES (?, ?, ?, 1000, 'jpeg', 64, 48, 'then', ?, ?, ?, ?)`,
  );
  for (let i = 0; i < 30; i++) insert.run(`${i.toString(16).padStart(2, '0')}${'a'.repeat(62)}`, `/p/${i}.jpg`, `${i}.jpg`, i % 3 ? 1 : null, i % 2 ? 'train' : null, i % 5 === 0 ? 1 : 0, 'ff00ff00ff00ff00');
  raw.prepare(`INSERT INTO label_ops (id, at, source, kind, description) VALUES (1, 'then', 'folder', 'import', 'labels from folders')`).run();
  raw.prepare(`INSERT INTO label_history (op_id, specimen_id, from_class_id, to_class_id, at) SELECT 1, id, NULL, label_class_id, 'then' FROM specimens WHERE label_class_id IS NOT NULL`).run();
  const dump = (d: Database.Database) => ({
    specimens: d.prepare('SELECT id, sha256, path, label_class_id, split, flagged, phash FROM specimens ORDER BY id').all(),
    history: d.prepare('SELECT id, op_id, specimen_id, from_class_id, to_class_id, at FROM label_history ORDER BY id').all(),
    ops: d.prepare('SELECT * FROM label_ops ORDER BY id').all(),
    classes: d.prepare('SELECT * FROM classes ORDER BY id').all(),
  });
  const before = dump(raw);
  raw.close();

  const db = openDatabase(file);
  assert.equal(db.pragma('user_version', { simple: true }), 4);
  assert.equal(LATEST_SCHEMA_VERSION, 4);
  assert.deepEqual(dump(db), before);
  assert.equal((db.prepare('SELECT COUNT(*) AS n FROM specimens WHERE excluded_at IS NOT NULL OR excluded_reason IS NOT NULL').get() as { n: number }).n, 0);
  assert.equal((db.prepare('SELECT COUNT(*) AS n FROM label_history WHERE excluded_from IS NOT NULL OR excluded_to IS NOT NULL').get() as { n: number }).n, 0);
  // The old history still reads and undoes as before; the new state works on the migrated file.
  assert.equal(labelHistory(db, 2)[0]!.exclusion, null);
  assert.equal(catalogueStats(db).labeled, 20);
  setExclusion(db, [2], { exclude: true });
  assert.equal(catalogueStats(db).excluded, 1);
  updateSpecimenMetadata(db, 2, { notes: 'kept' });
  db.close();
  // Opening again applies nothing twice.
  const again = openDatabase(file);
  assert.equal(again.pragma('user_version', { simple: true }), 4);
  assert.equal(catalogueStats(again).excluded, 1);
  again.close();
});
