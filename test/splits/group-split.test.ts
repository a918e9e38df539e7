// Leak-free splits: a photo group (here, specimens sharing a sample code) never spans two splits; the audit
// finds groups that do (made before groups existed), and the fix moves them as one undoable operation.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import {
  assignSplits,
  fixSplitLeaks,
  openDatabase,
  photoGroups,
  splitAudit,
  undoLastLabelOp,
  updateSpecimenMetadata,
  type Db,
} from '../../src/main/catalogue';
import { tempDir } from '../helpers/fs';
import { addSpecimens } from '../helpers/specimens';
import { runCliInProcess } from '../helpers/cli';

/** One labeled specimen (no photo file), of the rock named by `sampleCode` if given. */
function addSpecimen(db: Db, className: string, sampleCode: string | null): number {
  return addSpecimens(db, className, 1, { sampleCode })[0]!;
}

function splitOf(db: Db, id: number): string | null {
  return (db.prepare('SELECT split FROM specimens WHERE id = ?').get(id) as { split: string | null }).split;
}

/** 3 classes; in each, rocks of 1–4 photos with a sample code per rock. */
function groupedCatalogue(file: string): { db: Db; rocks: number[][] } {
  const db = openDatabase(file);
  const rocks: number[][] = [];
  for (const cls of ['bornite', 'pyrite', 'quartz']) {
    for (let r = 0; r < 14; r++) {
      const code = `${cls.slice(0, 2)}-${r}`;
      rocks.push(Array.from({ length: 1 + (r % 4) }, () => addSpecimen(db, cls, code)));
    }
  }
  return { db, rocks };
}

test('a split never puts a photo group across two splits, and stays stratified by class', () => {
  for (const seed of [0, 1, 7]) {
    const { db, rocks } = groupedCatalogue(path.join(tempDir(), 'c.sqlite'));
    const result = assignSplits(db, seed);
    assert.equal(result.assigned, rocks.flat().length);
    for (const rock of rocks) assert.equal(new Set(rock.map((id) => splitOf(db, id))).size, 1, `seed ${seed}: rock ${rock.join(',')} spans splits`);
    // 35 photos per class at 8:1:1: whole rocks of 1–4 photos still give each split a share near its target.
    for (const counts of Object.values(result.perClass)) {
      assert.ok(counts.train >= 24 && counts.train <= 32, JSON.stringify(counts));
      assert.ok(counts.val >= 1 && counts.test >= 1, JSON.stringify(counts));
    }
    assert.deepEqual(splitAudit(db).leaks, []);
    db.close();
  }
});

test('a new photo of a rock that already has a split joins that split; nothing else moves', () => {
  const { db, rocks } = groupedCatalogue(path.join(tempDir(), 'c.sqlite'));
  assignSplits(db, 3);
  const before = new Map(rocks.flat().map((id) => [id, splitOf(db, id)]));
  const testRock = rocks.find((r) => splitOf(db, r[0]!) === 'test')!;
  const code = (db.prepare('SELECT sample_code FROM specimens WHERE id = ?').get(testRock[0]) as { sample_code: string }).sample_code;
  const newcomer = addSpecimen(db, 'pyrite', code);
  const result = assignSplits(db, 3);
  assert.equal(result.assigned, 1);
  assert.equal(splitOf(db, newcomer), 'test');
  for (const [id, split] of before) assert.equal(splitOf(db, id), split);
});

test('the audit lists the groups that span splits; the fix moves them into the first specimen\'s split, and one undo puts them back', async () => {
  const file = path.join(tempDir(), 'c.sqlite');
  const db = openDatabase(file);
  // Split before the photos were known to be one rock (as in a catalogue from before groups existed).
  const a = addSpecimen(db, 'bornite', null);
  const b = addSpecimen(db, 'bornite', null);
  const c = addSpecimen(db, 'bornite', null);
  const lone = addSpecimen(db, 'bornite', null);
  db.prepare("UPDATE specimens SET split = 'val' WHERE id = ?").run(a);
  db.prepare("UPDATE specimens SET split = 'train' WHERE id IN (?, ?)").run(b, lone);
  db.prepare("UPDATE specimens SET split = 'test' WHERE id = ?").run(c);
  for (const id of [a, b, c]) updateSpecimenMetadata(db, id, { sampleCode: 'BN-7' });
  assert.deepEqual(photoGroups(db).members.get(a), [a, b, c]);

  const audit = splitAudit(db);
  assert.equal(audit.groups, 1);
  assert.equal(audit.grouped_specimens, 3);
  assert.deepEqual(audit.leaks.map((l) => [l.group, l.specimens.map((s) => [s.id, s.split])]), [[a, [[a, 'val'], [b, 'train'], [c, 'test']]]]);

  // Through the CLI, as a user would: the JSON has the shape.
  db.close();
  const cli = await runCliInProcess(['split', '--audit', '--db', file, '--json']);
  assert.equal(cli.status, 0, cli.stderr);
  const json = JSON.parse(cli.stdout) as { groups: number; grouped_specimens: number; leaks: { group: number; specimens: { id: number; sha256: string; path: string; split: string }[] }[] };
  assert.deepEqual(Object.keys(json).sort(), ['grouped_specimens', 'groups', 'leaks']);
  assert.deepEqual(Object.keys(json.leaks[0]!.specimens[0]!).sort(), ['id', 'path', 'sha256', 'split']);
  const fixed = await runCliInProcess(['split', '--fix', '--db', file, '--json']);
  assert.equal(fixed.status, 0, fixed.stderr);

  const db2 = openDatabase(file);
  assert.deepEqual([a, b, c, lone].map((id) => splitOf(db2, id)), ['val', 'val', 'val', 'train']);
  assert.deepEqual(splitAudit(db2).leaks, []);
  assert.equal(fixSplitLeaks(db2).opId, 0, 'a second fix has nothing to do and records no operation');
  const undone = undoLastLabelOp(db2);
  assert.equal(undone?.reverted, 2);
  assert.deepEqual([a, b, c, lone].map((id) => splitOf(db2, id)), ['val', 'train', 'test', 'train']);
  db2.close();
});

test('--audit and --fix refuse split-making flags, and each other', async () => {
  const file = path.join(tempDir(), 'c.sqlite');
  openDatabase(file).close();
  for (const args of [['--audit', '--seed', '3'], ['--fix', '--ratios', '8:1:1'], ['--audit', '--fix']]) {
    const r = await runCliInProcess(['split', ...args, '--db', file]);
    assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
  }
});
