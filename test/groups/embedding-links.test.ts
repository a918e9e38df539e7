import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_MIN_EMBEDDING_COSINE, photoGroups, putEmbeddings } from '../../src/main/catalogue';
import { separateGroups } from '../../src/main/services/groups';
import type { GroupsListResult } from '../../src/shared/schemas';
import { runCliInProcess } from '../helpers/cli';
import { importedCatalogue } from './catalogue';

// Three different rocks (no near-duplicates, no sample codes): only embeddings can join them.
const PHOTOS = ['quartz/63910e75a4b51990.jpg', 'pyrite/561cc0c64a28213d.jpg', 'biotite/2737bbfc1b7cc5b6.jpg'];
const MODEL = 'ab'.repeat(32);
const OTHER_MODEL = 'cd'.repeat(32);

test('embeddings of a named model join specimens at or above the cosine; a cut holds against them too', async () => {
  const { db, file, id } = await importedCatalogue(PHOTOS);
  const [quartz, pyrite, biotite] = PHOTOS.map(id) as [number, number, number];
  // cos(quartz, pyrite) = 0.96 (scaled, to check the normalisation); biotite at right angles to both.
  putEmbeddings(db, MODEL, [
    { specimenId: quartz, vector: Float32Array.from([1, 0, 0, 0, 0]) },
    { specimenId: pyrite, vector: Float32Array.from([0.96 * 3, 0.28 * 3, 0, 0, 0]) },
    { specimenId: biotite, vector: Float32Array.from([0, 0, 1, 0, 0]) },
  ]);
  putEmbeddings(db, OTHER_MODEL, [
    { specimenId: quartz, vector: Float32Array.from([1, 0]) },
    { specimenId: biotite, vector: Float32Array.from([1, 0]) },
  ]);

  assert.equal(photoGroups(db).members.size, 0, 'no model named: no embedding links');
  const joined = photoGroups(db, { embeddingModel: MODEL });
  const [a, b] = [Math.min(quartz, pyrite), Math.max(quartz, pyrite)];
  assert.deepEqual([...joined.members.values()], [[a, b]]);
  assert.equal(joined.links.length, 1);
  const link = joined.links[0]!;
  assert.ok(link.kind === 'embedding' && Math.abs(link.cosine - 0.96) < 1e-6 && link.a === a && link.b === b);
  assert.ok(DEFAULT_MIN_EMBEDDING_COSINE <= 0.96);
  assert.equal(photoGroups(db, { embeddingModel: MODEL, minEmbeddingCosine: 0.97 }).members.size, 0);
  assert.deepEqual([...photoGroups(db, { embeddingModel: OTHER_MODEL }).members.values()], [[Math.min(quartz, biotite), Math.max(quartz, biotite)]], "each model's own vectors");

  await separateGroups({ db }, { specimens: [pyrite], embeddingModel: MODEL });
  assert.equal(photoGroups(db, { embeddingModel: MODEL }).members.size, 0, 'the cut holds');
  db.close();

  const listed = await runCliInProcess(['groups', '--db', file, '--json', '--embedding-model', OTHER_MODEL]);
  assert.equal(listed.status, 0, listed.stderr);
  const json = JSON.parse(listed.stdout) as GroupsListResult;
  assert.deepEqual(json.rule, { maxPhashDistance: 12, maxDhashDistance: 10, embeddingModel: OTHER_MODEL, minEmbeddingCosine: DEFAULT_MIN_EMBEDDING_COSINE });
  assert.equal(json.groups[0]!.links[0]!.kind, 'embedding');
  const bad = await runCliInProcess(['groups', '--db', file, '--embedding-model', 'abc']);
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /--embedding-model .*64 hex digits/);
});

test('the remembered embedding links follow every change to the vectors: a replaced, an added and a removed one', async () => {
  const { db, id } = await importedCatalogue(PHOTOS);
  const [quartz, pyrite, biotite] = PHOTOS.map(id) as [number, number, number];
  const pair = (x: number, y: number) => [Math.min(x, y), Math.max(x, y)];
  putEmbeddings(db, MODEL, [
    { specimenId: quartz, vector: Float32Array.from([1, 0]) },
    { specimenId: pyrite, vector: Float32Array.from([1, 0]) },
  ]);
  assert.deepEqual([...photoGroups(db, { embeddingModel: MODEL }).members.values()], [pair(quartz, pyrite)]);
  // Replaced in place (same count, same specimens): the pair is no longer close.
  putEmbeddings(db, MODEL, [{ specimenId: pyrite, vector: Float32Array.from([0, 1]) }]);
  assert.equal(photoGroups(db, { embeddingModel: MODEL }).members.size, 0, 'a replaced vector is read again');
  putEmbeddings(db, MODEL, [{ specimenId: biotite, vector: Float32Array.from([0, 1]) }]);
  assert.deepEqual([...photoGroups(db, { embeddingModel: MODEL }).members.values()], [pair(pyrite, biotite)], 'an added vector links');
  // A removed specimen takes its vector with it (ON DELETE CASCADE); its link must go too.
  db.prepare('DELETE FROM specimens WHERE id = ?').run(biotite);
  assert.equal(photoGroups(db, { embeddingModel: MODEL }).members.size, 0, 'a removed vector unlinks');
  db.close();
});
