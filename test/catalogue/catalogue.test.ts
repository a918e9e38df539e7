import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import {
  openDatabase,
  ensureClass,
  applyLabelChanges,
  undoLastLabelOp,
  labelHistory,
  addClass,
  renameClass,
  mergeClasses,
  listClasses,
  assignSplits,
  catalogueStats,
  resolveSpecimenRef,
  getSpecimen,
  type Db,
} from '../../src/main/catalogue';
import { LATEST_SCHEMA_VERSION } from '../../src/main/catalogue/migrations';
import { tempDir } from '../helpers/fs';
import { addSpecimens } from '../helpers/specimens';

function freshDb(): Db {
  return openDatabase(path.join(tempDir(), 'catalogue.sqlite'));
}

test('a new catalogue is migrated, in WAL mode, with foreign keys enforced', () => {
  const db = freshDb();
  assert.equal(db.pragma('user_version', { simple: true }), LATEST_SCHEMA_VERSION);
  assert.equal(db.pragma('journal_mode', { simple: true }), 'wal');
  assert.equal(db.pragma('foreign_keys', { simple: true }), 1);
  assert.throws(() => db.prepare('INSERT INTO thumbnails (specimen_id, width, height, jpeg) VALUES (999, 1, 1, x\'00\')').run(), /FOREIGN KEY/);
});

test('reopening a catalogue keeps its data and does not re-run migrations', () => {
  const file = path.join(tempDir(), 'c.sqlite');
  const db = openDatabase(file);
  addSpecimens(db, 'quartz', 3);
  db.close();
  const again = openDatabase(file);
  assert.equal((again.prepare('SELECT COUNT(*) AS n FROM specimens').get() as { n: number }).n, 3);
  again.close();
});

test('a catalogue from a newer Orelab is refused with a clear message', () => {
  const file = path.join(tempDir(), 'future.sqlite');
  const db = openDatabase(file);
  db.pragma(`user_version = ${LATEST_SCHEMA_VERSION + 1}`);
  db.close();
  assert.throws(() => openDatabase(file), /newer than this Orelab understands/);
});

test('labels are recorded in history and undo reverts one whole operation', () => {
  const db = freshDb();
  const ids = addSpecimens(db, null, 4);
  const quartz = ensureClass(db, 'quartz');
  const pyrite = ensureClass(db, 'pyrite');
  applyLabelChanges(db, { specimenIds: ids, toClassId: quartz, source: 'manual', kind: 'label', description: 'all quartz' });
  applyLabelChanges(db, { specimenIds: ids.slice(0, 2), toClassId: pyrite, source: 'manual', kind: 'label', description: 'two pyrite' });
  assert.equal(getSpecimen(db, ids[0]!)!.label, 'pyrite');
  assert.equal(getSpecimen(db, ids[3]!)!.label, 'quartz');

  const undone = undoLastLabelOp(db)!;
  assert.equal(undone.description, 'two pyrite');
  assert.equal(undone.reverted, 2);
  assert.equal(getSpecimen(db, ids[0]!)!.label, 'quartz');

  const history = labelHistory(db, ids[0]!);
  assert.deepEqual(
    history.map((h) => [h.from, h.to, h.source]),
    [
      [null, 'quartz', 'manual'],
      ['quartz', 'pyrite', 'manual'],
      ['pyrite', 'quartz', 'undo'],
    ],
  );
  // The next undo reverts the operation before, not the undo itself.
  assert.equal(undoLastLabelOp(db)!.description, 'all quartz');
  assert.equal(getSpecimen(db, ids[0]!)!.label, null);
  assert.equal(undoLastLabelOp(db), null);
});

test('undo walks back newest first and never undoes an operation twice', () => {
  const db = freshDb();
  const ids = addSpecimens(db, null, 2);
  const a = ensureClass(db, 'a');
  const b = ensureClass(db, 'b');
  applyLabelChanges(db, { specimenIds: ids, toClassId: a, source: 'manual', kind: 'label', description: 'both a' });
  applyLabelChanges(db, { specimenIds: [ids[0]!], toClassId: b, source: 'manual', kind: 'label', description: 'one b' });
  assert.equal(undoLastLabelOp(db)!.description, 'one b');
  applyLabelChanges(db, { specimenIds: [ids[1]!], toClassId: b, source: 'model', kind: 'accept', description: 'accept' });
  assert.equal(undoLastLabelOp(db)!.description, 'accept');
  const first = undoLastLabelOp(db)!;
  assert.equal(first.description, 'both a');
  assert.equal(first.reverted, 2);
  assert.deepEqual(ids.map((id) => getSpecimen(db, id)!.label), [null, null]);
  // An operation that changes nothing is not recorded, so undo never lands on an invisible step.
  assert.equal(applyLabelChanges(db, { specimenIds: ids, toClassId: null, source: 'manual', kind: 'label', description: 'noop' }), 0);
  assert.equal(undoLastLabelOp(db), null);
});

test('classes: add, rename, merge, and undo of a merge', () => {
  const db = freshDb();
  addSpecimens(db, 'quartz', 3);
  addSpecimens(db, 'Quarz', 2);
  addClass(db, 'biotite');
  assert.throws(() => addClass(db, 'BIOTITE'), /already exists/);
  assert.throws(() => addClass(db, '_review'), /reserved/);
  renameClass(db, 'biotite', 'black mica');
  assert.throws(() => renameClass(db, 'black mica', 'quartz'), /already exists/);
  const merged = mergeClasses(db, 'Quarz', 'quartz');
  assert.equal(merged.moved, 2);
  assert.deepEqual(
    listClasses(db).map((c) => [c.name, c.count]),
    [
      ['black mica', 0],
      ['quartz', 5],
    ],
  );
  undoLastLabelOp(db);
  assert.deepEqual(
    listClasses(db).map((c) => [c.name, c.count]),
    [
      ['black mica', 0],
      ['quartz', 3],
      ['Quarz', 2],
    ],
  );
});

test('stats give counts, shares and the paper weights N/(C·n_i)', () => {
  const db = freshDb();
  addSpecimens(db, 'common', 60);
  addSpecimens(db, 'rare', 20);
  addSpecimens(db, null, 5);
  const stats = catalogueStats(db, 0.9);
  assert.equal(stats.total, 85);
  assert.equal(stats.labeled, 80);
  assert.equal(stats.unlabeled, 5);
  const common = stats.classes.find((c) => c.name === 'common')!;
  const rare = stats.classes.find((c) => c.name === 'rare')!;
  assert.equal(common.weightInverse, 80 / (2 * 60));
  assert.equal(rare.weightInverse, 80 / (2 * 20));
  assert.equal(rare.share, 0.25);
  assert.equal(stats.imbalanceRatio, 3);
  // Effective number with beta 0.9: E_n = (1 - 0.9^n) / 0.1, weights ∝ 1/E_n, summing to C.
  const e = (n: number) => (1 - 0.9 ** n) / 0.1;
  const norm = 2 / (1 / e(60) + 1 / e(20));
  assert.ok(Math.abs(rare.weightEffective - norm / e(20)) < 1e-12);
  assert.ok(Math.abs(common.weightEffective + rare.weightEffective - 2) < 1e-12);
});

test('split is stratified 8:1:1 per class and deterministic for a seed', () => {
  const db1 = freshDb();
  const db2 = freshDb();
  for (const db of [db1, db2]) {
    addSpecimens(db, 'a', 50, { hashKey: 'a' });
    addSpecimens(db, 'b', 20, { hashKey: 'b' });
  }
  const r1 = assignSplits(db1, 7);
  assert.deepEqual(assignSplits(db2, 7).perClass, r1.perClass);
  assert.deepEqual(r1.perClass, { a: { train: 40, val: 5, test: 5 }, b: { train: 16, val: 2, test: 2 } });
  const order = (db: Db) => db.prepare('SELECT sha256, split FROM specimens ORDER BY sha256').all();
  assert.deepEqual(order(db1), order(db2));
  const r3 = assignSplits(freshDbWith(50, 'a'), 8);
  assert.deepEqual(r3.perClass.a, { train: 40, val: 5, test: 5 });
});

function freshDbWith(n: number, cls: string): Db {
  const db = freshDb();
  addSpecimens(db, cls, n);
  return db;
}

test('specimens added later are assigned without moving earlier ones', () => {
  const db = freshDb();
  addSpecimens(db, 'a', 30);
  assignSplits(db, 1);
  const before = new Map((db.prepare('SELECT id, split FROM specimens').all() as { id: number; split: string }[]).map((r) => [r.id, r.split]));
  addSpecimens(db, 'a', 20);
  addSpecimens(db, null, 3);
  const r = assignSplits(db, 1);
  assert.equal(r.alreadyAssigned, 30);
  assert.equal(r.assigned, 20);
  assert.equal(r.unlabeled, 3);
  for (const [id, split] of before) assert.equal((db.prepare('SELECT split FROM specimens WHERE id = ?').get(id) as { split: string }).split, split);
  assert.deepEqual(r.perClass.a, { train: 40, val: 5, test: 5 });
});

test('specimen references resolve by path or unique sha256 prefix', () => {
  const db = freshDb();
  const [id] = addSpecimens(db, null, 1);
  const s = getSpecimen(db, id!)!;
  assert.equal(resolveSpecimenRef(db, s.sha256.slice(0, 10)), id);
  assert.equal(resolveSpecimenRef(db, s.path), id);
  assert.throws(() => resolveSpecimenRef(db, 'abc'), /neither a catalogued file nor a sha256 prefix/);
});
