import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { openDatabase, photoGroups, updateSpecimenMetadata, type Db } from '../../src/main/catalogue';
import { runImport } from '../../src/main/services/import';
import { listGroups, separateGroups } from '../../src/main/services/groups';
import { UserError } from '../../src/shared/errors';
import type { GroupsListResult } from '../../src/shared/schemas';
import { runCliInProcess } from '../helpers/cli';
import { importedCatalogue } from './catalogue';

// Two pairs of one photograph each (a recrop; a watermarked copy), and three unrelated photos.
const RECROP = ['bornite/bb8ed63b3859c1cd.jpg', 'bornite/3aa6da5d58dc9e56.jpg'];
const WATERMARK = ['bornite/9c0a7cf4535a70ee.jpg', 'bornite/ffdb8975faa819d7.jpg'];
const OTHERS = ['quartz/63910e75a4b51990.jpg', 'pyrite/561cc0c64a28213d.jpg', 'biotite/2737bbfc1b7cc5b6.jpg'];

const catalogue = () => importedCatalogue([...RECROP, ...WATERMARK, ...OTHERS]);

const groupsOf = (db: Db): number[][] => [...photoGroups(db).members.values()];

test('specimens sharing a sample code (any case, spaces trimmed) form one group, linked by the code', async () => {
  const c = await catalogue();
  const [q, p, b] = OTHERS.map(c.id) as [number, number, number];
  updateSpecimenMetadata(c.db, q, { sampleCode: ' R-17 ' });
  updateSpecimenMetadata(c.db, p, { sampleCode: 'r-17' });
  updateSpecimenMetadata(c.db, b, { sampleCode: 'R-18' });
  const groups = photoGroups(c.db);
  assert.deepEqual(groups.members.get(Math.min(q, p)), [q, p].sort((x, y) => x - y));
  assert.equal(groups.groupOf.get(b), b, 'a code of its own is no group');
  // Scan order (pyrite/ before quartz/) gives the pyrite photo the smaller id; a link names the later one's code.
  assert.ok(p < q);
  assert.deepEqual(groups.links.filter((l) => l.kind === 'sample-code'), [{ a: p, b: q, kind: 'sample-code', sampleCode: 'R-17' }]);
  assert.equal(groupsOf(c.db).length, 3, 'the code group and the two near-duplicate pairs');
  c.db.close();
});

test('separating a specimen cuts its links to the rest of its group; the cut survives a re-read and a re-import', async () => {
  const c = await catalogue();
  const [kept, recropped] = RECROP.map(c.id) as [number, number];
  assert.equal(photoGroups(c.db).groupOf.get(recropped), kept);

  const result = await separateGroups({ db: c.db }, { specimens: [recropped] });
  assert.deepEqual(result, { groups: [{ group: kept, left: [recropped], remaining: [kept] }], cutsAdded: 1 });
  assert.equal(photoGroups(c.db).groupOf.get(recropped), recropped);
  assert.equal(groupsOf(c.db).length, 1, 'the watermark pair is untouched');
  c.db.close();

  const reopened = openDatabase(c.file);
  assert.equal(photoGroups(reopened).groupOf.get(recropped), recropped, 'after a re-read');
  // The same folder again, and the same bytes under new paths: the same specimens, still apart.
  await runImport({ db: reopened }, { folder: c.folder, labelsFromFolders: true });
  const moved = path.join(path.dirname(c.folder), 'moved');
  fs.cpSync(c.folder, moved, { recursive: true });
  const again = await runImport({ db: reopened }, { folder: moved, labelsFromFolders: true });
  assert.equal(again.new, 0);
  assert.equal(photoGroups(reopened).groupOf.get(recropped), recropped, 'after re-imports');
  // Separating again changes nothing and adds no cut: the specimen is in no group now.
  await assert.rejects(separateGroups({ db: reopened }, { specimens: [recropped] }), /in no group/);
  reopened.close();
});

test('a group of three: the named specimen leaves; a shared sample code is refused and nothing is cut', async () => {
  const c = await catalogue();
  const [kept, recropped] = RECROP.map(c.id) as [number, number];
  const quartz = c.id(OTHERS[0]!);
  updateSpecimenMetadata(c.db, kept, { sampleCode: 'K-1' });
  updateSpecimenMetadata(c.db, quartz, { sampleCode: 'k-1' });
  assert.deepEqual(photoGroups(c.db).members.get(kept), [kept, recropped, quartz].sort((a, b) => a - b));

  await assert.rejects(
    separateGroups({ db: c.db }, { specimens: [quartz] }),
    (err: unknown) => err instanceof UserError && err.kind === 'conflict' && /share sample code "k-1".*edit the sample code/.test(err.message),
  );
  assert.equal(photoGroups(c.db).members.get(kept)?.length, 3, 'nothing was cut');

  const result = await separateGroups({ db: c.db }, { specimens: [recropped] });
  assert.deepEqual(result.groups, [{ group: kept, left: [recropped], remaining: [kept, quartz].sort((a, b) => a - b) }]);
  assert.equal(result.cutsAdded, 2, 'every pair between it and the rest, linked today or not');
  assert.deepEqual(photoGroups(c.db).members.get(kept), [kept, quartz].sort((a, b) => a - b));
  c.db.close();
});

test('separate refuses a specimen in no group, a whole group and an unknown id', async () => {
  const c = await catalogue();
  await assert.rejects(separateGroups({ db: c.db }, { specimens: [c.id(OTHERS[1]!)] }), /in no group/);
  await assert.rejects(separateGroups({ db: c.db }, { specimens: WATERMARK.map(c.id) }), /whole of group/);
  await assert.rejects(separateGroups({ db: c.db }, { specimens: [9999] }), /no specimen with id 9999/);
  assert.equal(groupsOf(c.db).length, 2);
  c.db.close();
});

test('orelab groups lists groups (text and --json) and --separate cuts; bad ids are usage errors', async () => {
  const c = await catalogue();
  const [kept, recropped] = RECROP.map(c.id) as [number, number];
  c.db.close();
  const listed = await runCliInProcess(['groups', '--db', c.file, '--json']);
  assert.equal(listed.status, 0, listed.stderr);
  const json = JSON.parse(listed.stdout) as GroupsListResult;
  assert.deepEqual(json.summary, { specimens: 7, groups: 2, groupedSpecimens: 4, unhashed: 0 });
  assert.equal(json.backfill, null);
  const recrop = json.groups.find((g) => g.group === kept)!;
  assert.deepEqual(recrop.members.map((m) => [m.id, m.label, path.basename(m.path)]), [[kept, 'bornite', 'bb8ed63b3859c1cd.jpg'], [recropped, 'bornite', '3aa6da5d58dc9e56.jpg']]);
  assert.deepEqual(recrop.links, [{ a: kept, b: recropped, kind: 'near-duplicate', phashDistance: 10, dhashDistance: 6 }]);

  const text = await runCliInProcess(['groups', '--db', c.file]);
  assert.match(text.stdout, new RegExp(`${kept}–${recropped}: near-duplicate \\(pHash 10, dHash 6 bits apart\\)`));
  assert.match(text.stdout, /2 groups, 4 of 7 specimens grouped/);

  const bad = await runCliInProcess(['groups', '--db', c.file, '--separate', '12,x']);
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /--separate takes specimen ids separated by commas/);
  const cut = await runCliInProcess(['groups', '--db', c.file, '--separate', String(recropped)]);
  assert.equal(cut.status, 0, cut.stderr);
  assert.match(cut.stdout, new RegExp(`group ${kept}: ${recropped} left it; ${kept} remain`));
  const db = openDatabase(c.file);
  assert.equal((await listGroups({ db }, {})).summary.groups, 1);
  db.close();
  const refused = await runCliInProcess(['groups', '--db', c.file, '--separate', String(recropped)]);
  assert.equal(refused.status, 1);
  assert.match(refused.stderr, /^orelab groups: specimen \d+ is in no group/);
});

test('separating specimens of two groups at once cuts each out of its own group', async () => {
  const c = await catalogue();
  const [kept, recropped] = RECROP.map(c.id) as [number, number];
  const [original, watermarked] = WATERMARK.map(c.id) as [number, number];
  const result = await separateGroups({ db: c.db }, { specimens: [watermarked, recropped, recropped] });
  assert.deepEqual(
    result.groups,
    [
      { group: kept, left: [recropped], remaining: [kept] },
      { group: original, left: [watermarked], remaining: [original] },
    ].sort((a, b) => a.group - b.group),
  );
  assert.equal(result.cutsAdded, 2);
  assert.equal(groupsOf(c.db).length, 0);
  c.db.close();
});
