import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import sharp from 'sharp';
import { photoGroups, resolveSpecimenRef, type Db } from '../../src/main/catalogue';
import { MINERALS7 } from '../helpers/fs';
import { importedCatalogue } from './catalogue';

const catalogueOf = importedCatalogue;

const sameGroup = (db: Db, folder: string, a: string, b: string): boolean => {
  const { groupOf } = photoGroups(db);
  return groupOf.get(resolveSpecimenRef(db, path.join(folder, a))) === groupOf.get(resolveSpecimenRef(db, path.join(folder, b)));
};

/** Cropped by 1.5% on every side (3% of each dimension), resized to 90%, re-encoded at JPEG quality 70. */
async function recroppedCopy(file: string): Promise<Buffer> {
  const { data, info } = await sharp(file).rotate().toBuffer({ resolveWithObject: true });
  const left = Math.round(info.width * 0.015);
  const top = Math.round(info.height * 0.015);
  const width = info.width - 2 * left;
  return sharp(data)
    .extract({ left, top, width, height: info.height - 2 * top })
    .resize(Math.round(width * 0.9))
    .jpeg({ quality: 70 })
    .toBuffer();
}

const ORIGINALS = ['biotite/2737bbfc1b7cc5b6.jpg', 'pyrite/561cc0c64a28213d.jpg', 'quartz/58fd63cc08c91637.jpg', 'malachite/d55c0cdb620b21f2.jpg'];

test('a minerals7 photo and its recropped, resized, re-encoded copy fall into one group', async () => {
  const copies: Record<string, Buffer> = {};
  for (const [i, p] of ORIGINALS.entries()) copies[`copy-${i}.jpg`] = await recroppedCopy(path.join(MINERALS7, p));
  // A copy too large to be its own thumbnail: hashed from the thumbnail import makes (the other path of decodeImage).
  const first = await sharp(path.join(MINERALS7, ORIGINALS[0]!)).metadata();
  copies['copy-large.png'] = await sharp(path.join(MINERALS7, ORIGINALS[0]!)).resize(first.width! * 3).png().toBuffer();
  const { db, folder } = await catalogueOf(ORIGINALS, copies);
  for (const [i, p] of ORIGINALS.entries()) assert.ok(sameGroup(db, folder, p, `copy-${i}.jpg`), `${p} and its copy`);
  assert.ok(sameGroup(db, folder, ORIGINALS[0]!, 'copy-large.png'));
  // No copy joins another photo's group.
  assert.deepEqual([...photoGroups(db).members.values()].map((m) => m.length).sort(), [2, 2, 2, 3]);
  db.close();
});

test("minerals7's own near-duplicates are grouped: a recropped test photo and a watermarked val photo with their training photos", async () => {
  const pairs = [
    ['bornite/3aa6da5d58dc9e56.jpg', 'bornite/bb8ed63b3859c1cd.jpg'],
    ['bornite/ffdb8975faa819d7.jpg', 'bornite/9c0a7cf4535a70ee.jpg'],
  ];
  const { db, folder } = await catalogueOf(pairs.flat());
  for (const [a, b] of pairs) assert.ok(sameGroup(db, folder, a!, b!), `${a} and ${b}`);
  assert.equal(photoGroups(db).members.size, 2);
  db.close();
});

test('different minerals7 photos stay apart, even the pairs whose hashes are closest', async () => {
  // The nearest pairs of different rocks in minerals7 (scripts/near-duplicates.ts), each just outside the rule on
  // one hash: pHash 4 (dHash 17), pHash 10 (dHash 15), pHash 12 (dHash 12), pHash 14 (dHash 5).
  const pairs = [
    ['malachite/d55c0cdb620b21f2.jpg', 'bornite/d044813cab6ca5f7.jpg'],
    ['pyrite/e3d0632ff80ff620.jpg', 'bornite/2ac7b09ef27ec69d.jpg'],
    ['chrysocolla/41b1451ddeed3257.jpg', 'bornite/9ce1b98d3f7ad3da.jpg'],
    ['chrysocolla/6ab5a0010e0a933d.jpg', 'malachite/6f7391a7ec24467d.jpg'],
  ];
  const { db, folder } = await catalogueOf(pairs.flat());
  for (const [a, b] of pairs) assert.ok(!sameGroup(db, folder, a!, b!), `${a} and ${b} are two rocks`);
  assert.equal(photoGroups(db).members.size, 0);
  // With a looser rule they would be joined: the test can see a threshold that is too wide.
  assert.equal(photoGroups(db, { maxPhashDistance: 14, maxDhashDistance: 17 }).members.size, 4);
  db.close();
});
