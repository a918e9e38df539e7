// The shipped backbone's embeddings join near-duplicates by default once they exist (the grouping model is
// recorded when they are made); before that, and for any other model's embeddings, only when named.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { groupEmbeddingModel, insertSpecimen, openDatabase, photoGroups, putEmbeddings, setGroupEmbeddingModel } from '../../src/main/catalogue';
import { tempDir } from '../helpers/fs';
import { listGroups } from '../../src/main/services/groups';
import { GroupsListParamsSchema } from '../../src/shared/schemas';

test('photoGroups uses the catalogue\'s grouping model\'s embeddings by default, and no other model\'s', async () => {
  const db = openDatabase(path.join(tempDir(), 'c.sqlite'));
  const ids = [0, 1, 2].map((i) =>
    insertSpecimen(db, { sha256: `${i}`.padEnd(64, 'a'), path: `/p/${i}.jpg`, originalName: `${i}.jpg`, byteSize: 1, format: 'jpeg', width: 8, height: 8, exifDate: null, importedAt: new Date().toISOString(), labelClassId: null }),
  );
  // 0 and 1: one rock, re-shot (cosine 0.995); 2: another (cosine 0.6 with both).
  const vectors = [[1, 0.1, 0], [1, 0, 0.05], [0.6, 0.8, 0]].map((v) => Float32Array.from(v));
  for (const model of ['shipped', 'other']) putEmbeddings(db, model.padEnd(64, '0'), ids.map((specimenId, i) => ({ specimenId, vector: vectors[i]! })));
  assert.equal(groupEmbeddingModel(db), null);
  assert.equal(photoGroups(db).members.size, 0, 'no grouping model yet: embeddings are not used');
  setGroupEmbeddingModel(db, 'shipped'.padEnd(64, '0'));
  assert.deepEqual([...photoGroups(db).members.values()], [[ids[0], ids[1]]]);
  assert.deepEqual(photoGroups(db).links.map((l) => l.kind), ['embedding']);
  // `orelab groups` says which model's embeddings joined them.
  assert.equal((await listGroups({ db }, GroupsListParamsSchema.parse({}))).rule.embeddingModel, 'shipped'.padEnd(64, '0'));
  db.prepare("DELETE FROM embeddings WHERE model_sha256 = ?").run('shipped'.padEnd(64, '0'));
  assert.equal(photoGroups(db).members.size, 0, 'another model\'s embeddings are not used unless named');
  assert.equal(photoGroups(db, { embeddingModel: 'other'.padEnd(64, '0') }).members.size, 1);
  db.close();
});
