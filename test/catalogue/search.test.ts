// The catalogue's search box (issue 16, item 9): it finds a specimen by what a card shows (its sample code, else
// its file name) and by a sha256 prefix (how the CLI names one), on a real SQLite catalogue.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { countFiltered, ensureClass, filteredSpecimenIds, openDatabase, pageSpecimens, updateSpecimenMetadata, type Db } from '../../src/main/catalogue';
import type { SpecimenFilter } from '../../src/shared/schemas';
import { tempDir } from '../helpers/fs';
import { addSpecimens } from '../helpers/specimens';

interface Row {
  id: number;
  sha256: string;
  name: string;
}

function catalogue(): { db: Db; quartz: Row[]; pyrite: Row[] } {
  const db = openDatabase(path.join(tempDir(), 'catalogue.sqlite'));
  const rows = (ids: number[]) =>
    ids.map((id) => db.prepare('SELECT id, sha256, original_name AS name FROM specimens WHERE id = ?').get(id) as Row);
  const quartz = rows(addSpecimens(db, 'quartz', 4));
  const pyrite = rows(addSpecimens(db, 'pyrite', 3));
  updateSpecimenMetadata(db, quartz[0]!.id, { sampleCode: 'QZ-2024-017' });
  updateSpecimenMetadata(db, pyrite[0]!.id, { sampleCode: 'PY_50%' });
  return { db, quartz, pyrite };
}

/** The ids the search finds, checked to agree across the grid's three queries. */
function found(db: Db, filter: SpecimenFilter): number[] {
  const page = pageSpecimens(db, filter, 0, 100);
  const ids = filteredSpecimenIds(db, filter, 0, 100);
  assert.equal(page.total, countFiltered(db, filter));
  assert.equal(ids.total, page.total);
  assert.deepEqual(ids.ids, page.items.map((i) => i.id));
  return ids.ids;
}

test('search finds a specimen by its sample code, in any case, anywhere in the code', () => {
  const { db, quartz } = catalogue();
  assert.deepEqual(found(db, { sampleCode: 'QZ-2024' }), [quartz[0]!.id]);
  assert.deepEqual(found(db, { sampleCode: '  qz-2024-017 ' }), [quartz[0]!.id], 'trimmed, and case does not matter');
  assert.deepEqual(found(db, { sampleCode: '2024-01' }), [quartz[0]!.id]);
});

test('search finds a specimen by the file name its card shows, and by part of it', () => {
  const { db, quartz, pyrite } = catalogue();
  // A card without a sample code shows its file name ("880bf3c2.jpg"): part of that finds it.
  const target = pyrite[2]!;
  assert.deepEqual(found(db, { sampleCode: target.name }), [target.id]);
  assert.deepEqual(found(db, { sampleCode: target.name.slice(2, 7).toUpperCase() }), [target.id]);
  assert.deepEqual(found(db, { sampleCode: '.jpg' }).length, quartz.length + pyrite.length, 'every file name has it');
});

test('search finds a specimen by a prefix of its sha256, not by a run of digits inside it', () => {
  const { db, quartz } = catalogue();
  const target = quartz[3]!;
  // The file names here are the sha's first 8 characters: a longer prefix can only match the sha.
  assert.deepEqual(found(db, { sampleCode: target.sha256.slice(0, 16) }), [target.id]);
  assert.deepEqual(found(db, { sampleCode: target.sha256.toUpperCase() }), [target.id], 'the whole sha, in capitals');
  assert.deepEqual(found(db, { sampleCode: target.sha256.slice(20, 36) }), [], 'inside the sha: not a prefix');
});

test('search treats % and _ as themselves, and combines with the other filters', () => {
  const { db, quartz, pyrite } = catalogue();
  assert.deepEqual(found(db, { sampleCode: '%' }), [pyrite[0]!.id], 'only the code that has a % sign');
  assert.deepEqual(found(db, { sampleCode: 'PY_5' }), [pyrite[0]!.id]);
  assert.deepEqual(found(db, { sampleCode: 'PYX5' }), []);
  assert.deepEqual(found(db, { sampleCode: '_' }), [pyrite[0]!.id], 'no file name or sha has an underscore');
  // Within a class: the search narrows the class's list, never widens it.
  const quartzId = ensureClass(db, 'quartz');
  assert.deepEqual(found(db, { sampleCode: '.jpg', classIds: [quartzId] }), quartz.map((r) => r.id));
  assert.deepEqual(found(db, { sampleCode: pyrite[1]!.name, classIds: [quartzId] }), []);
  assert.deepEqual(found(db, { sampleCode: '   ' }).length, quartz.length + pyrite.length, 'a blank search is no search');
});
