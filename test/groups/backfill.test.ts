import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import sharp from 'sharp';
import { countUnhashedSpecimens, openDatabase, photoGroups, specimenHashes, type Db } from '../../src/main/catalogue';
import { runImport } from '../../src/main/services/import';
import { backfillHashes, listGroups } from '../../src/main/services/groups';
import { runCliInProcess, spawnOrelab } from '../helpers/cli';
import { MINERALS7, tempDir } from '../helpers/fs';
import { importedCatalogue, type TestCatalogue } from './catalogue';
import { makeTinyClassifier } from '../helpers/model';

// Two photos that are one photograph (a recrop), and others; and (made below) a photo too large to be its own
// thumbnail, so that both kinds of stored thumbnail are hashed.
const PHOTOS = ['bornite/bb8ed63b3859c1cd.jpg', 'bornite/3aa6da5d58dc9e56.jpg', 'quartz/63910e75a4b51990.jpg', 'pyrite/561cc0c64a28213d.jpg', 'biotite/2737bbfc1b7cc5b6.jpg', 'malachite/d55c0cdb620b21f2.jpg', 'chrysocolla/41b1451ddeed3257.jpg'];

/** A catalogue as import leaves it today, and the hashes import gave each specimen. */
async function catalogue(): Promise<TestCatalogue & { imported: Map<number, string> }> {
  const large = await sharp(path.join(MINERALS7, 'muscovite/1ef6c4590141d190.jpg')).resize(1600).jpeg({ quality: 92 }).toBuffer();
  const c = await importedCatalogue(PHOTOS, { 'large.jpg': large });
  const imported = hashesNow(c.db);
  assert.equal(imported.size, PHOTOS.length + 1);
  for (const h of imported.values()) assert.match(h, /^[0-9a-f]{16}\/[0-9a-f]{16}$/, 'import hashes every new specimen');
  return { ...c, imported };
}

/** A catalogue from before hashes existed: the columns empty. (The test's own SQL: Orelab never clears them.) */
const forgetHashes = (db: Db) => db.exec('UPDATE specimens SET phash = NULL, dhash = NULL');
const hashesNow = (db: Db) => new Map(specimenHashes(db).map((r) => [r.id, `${r.phash}/${r.dhash}`]));

test('the backfill gives old specimens, from their stored thumbnails, exactly the hashes import gives', async () => {
  const c = await catalogue();
  forgetHashes(c.db);
  assert.equal(photoGroups(c.db).members.size, 0, 'without hashes the recrop is not found');
  const result = await backfillHashes({ db: c.db });
  assert.equal(result.hashed, c.imported.size);
  assert.deepEqual(result.failed, []);
  assert.equal(result.remaining, 0);
  assert.deepEqual(hashesNow(c.db), c.imported);
  assert.equal(photoGroups(c.db).members.size, 1);
  c.db.close();
});

test('a stopped backfill keeps what it stored, and a re-run does the rest', async () => {
  const c = await catalogue();
  forgetHashes(c.db);
  const stop = new AbortController();
  const first = await backfillHashes({ db: c.db }, { concurrency: 2, signal: stop.signal, onProgress: (p) => p.done >= 1 && stop.abort() });
  assert.equal(first.cancelled, true);
  // Stopped after the first photo: the ones already being hashed (two at a time) are finished and stored, no more are started.
  assert.ok(first.hashed >= 1 && first.hashed < c.imported.size, `hashed ${first.hashed}`);
  assert.equal(first.remaining, c.imported.size - first.hashed);
  assert.equal(countUnhashedSpecimens(c.db), first.remaining);
  c.db.close();

  const db = openDatabase(c.file);
  const second = await backfillHashes({ db });
  assert.equal(second.hashed, first.remaining);
  assert.equal(second.remaining, 0);
  assert.deepEqual(hashesNow(db), c.imported);
  db.close();
});

test('a specimen without a thumbnail is hashed from its photo; one whose photo is gone is reported and retried', async () => {
  const c = await catalogue();
  forgetHashes(c.db);
  const [recrop, quartz] = specimenHashes(c.db).filter((r) => /3aa6da5d|63910e75/.test(r.path));
  c.db.prepare('DELETE FROM thumbnails WHERE specimen_id IN (?, ?)').run(recrop!.id, quartz!.id);
  fs.rmSync(quartz!.path);
  const result = await backfillHashes({ db: c.db });
  assert.equal(result.hashed, c.imported.size - 1);
  assert.equal(hashesNow(c.db).get(recrop!.id), c.imported.get(recrop!.id), 'the same hashes, from the photo');
  assert.deepEqual(result.failed.map((f) => [f.id, f.path]), [[quartz!.id, quartz!.path]]);
  assert.match(result.failed[0]!.reason, /no usable thumbnail, and its photo cannot be read/);
  assert.equal(result.remaining, 1);
  c.db.close();

  const cli = await runCliInProcess(['groups', '--backfill', '--db', c.file]);
  assert.equal(cli.status, 1, 'a specimen still failing is a failure');
  assert.match(cli.stdout, /0 photos hashed .* 1 without hashes/);
  assert.match(cli.stdout, new RegExp(`failed: specimen ${quartz!.id} .*63910e75a4b51990\\.jpg`));
});

test('listing groups hashes the specimens that lack hashes first', async () => {
  const c = await catalogue();
  forgetHashes(c.db);
  const listed = await listGroups({ db: c.db }, {});
  assert.equal(listed.backfill?.hashed, c.imported.size);
  assert.equal(listed.summary.unhashed, 0);
  assert.deepEqual(
    listed.groups.map((g) => g.members.map((m) => path.basename(m.path))),
    [['bb8ed63b3859c1cd.jpg', '3aa6da5d58dc9e56.jpg']],
  );
  assert.equal((await listGroups({ db: c.db }, {})).backfill, null, 'nothing to do the second time');
  c.db.close();
});

test('kill -9 in the middle of a backfill leaves a valid catalogue, and a re-run hashes the rest', async () => {
  const file = path.join(tempDir(), 'killed.sqlite');
  const db = openDatabase(file);
  await runImport({ db }, { folder: MINERALS7, labelsFromFolders: true });
  const imported = hashesNow(db);
  forgetHashes(db);
  db.close();
  const hashedCount = () => {
    const check = openDatabase(file, { readonly: true });
    try {
      return check.prepare('SELECT COUNT(*) AS n FROM specimens WHERE phash IS NOT NULL').pluck().get() as number;
    } finally {
      check.close();
    }
  };

  const child = spawnOrelab(['groups', '--backfill', '--db', file, '--json']);
  const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
  let exitedEarly = false;
  void exited.then(() => (exitedEarly = true));
  // Wait for the first batch to be stored (a condition, not a clock), then kill it without warning.
  while (hashedCount() === 0 && !exitedEarly) await delay(10);
  child.kill('SIGKILL');
  assert.equal(await exited, 'SIGKILL', 'the backfill finished before it could be killed');

  const after = openDatabase(file);
  assert.equal(after.pragma('integrity_check', { simple: true }), 'ok');
  const stored = [...hashesNow(after)].filter(([, h]) => h !== 'null/null');
  assert.ok(stored.length > 0 && stored.length < imported.size, `killed with ${stored.length} hashed`);
  for (const [id, h] of stored) assert.equal(h, imported.get(id), `specimen ${id}: whole, correct hashes or none`);
  const rerun = await backfillHashes({ db: after });
  assert.equal(rerun.hashed, imported.size - stored.length);
  assert.deepEqual(hashesNow(after), imported);
  after.close();
});

test('photos that classification adds to the catalogue get their hashes too', async () => {
  const dir = tempDir();
  const folder = path.join(dir, 'unsorted');
  fs.mkdirSync(folder);
  for (const p of PHOTOS.slice(0, 2)) fs.copyFileSync(path.join(MINERALS7, p), path.join(folder, path.basename(p)));
  const file = path.join(dir, 'catalogue.sqlite');
  const model = makeTinyClassifier(dir, ['bornite', 'quartz']);
  const run = await runCliInProcess(['classify', folder, '--model', model, '--db', file, '--device', 'cpu']);
  assert.equal(run.status, 0, run.stderr);
  const db = openDatabase(file);
  const rows = specimenHashes(db);
  assert.equal(rows.length, 2);
  for (const r of rows) assert.match(`${r.phash}/${r.dhash}`, /^[0-9a-f]{16}\/[0-9a-f]{16}$/, r.path);
  assert.equal(photoGroups(db).members.size, 1, 'the recrop and its photo');
  db.close();
});
