import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import crypto from 'node:crypto';
import sharp from 'sharp';
import { AUGREG_PREPROCESS, PreprocessCache, preprocessImage } from '../../src/main/images/preprocess';
import { writeNormalizedChw, IDENTITY, type Dihedral } from '../../src/main/jobs/train/augment';
import { BatchSource, permutation, prefetched, warmCache, type DataItem } from '../../src/main/jobs/train/data';
import { MINERALS7, tempDir } from '../helpers/fs';
import { makeJpeg } from '../helpers/images';

const sha = (b: Buffer) => crypto.createHash('sha256').update(b).digest('hex');

test('preprocessing resizes the short side to 248 and centre-crops 224, like timm for augreg', async () => {
  // A 496×300 image: left half red, right half blue. After resize to 410×248 and a centre crop of 224,
  // the crop's left and right columns must still be red and blue, and the split in the middle.
  const w = 496;
  const h = 300;
  const raw = Buffer.alloc(w * h * 3);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) raw[(y * w + x) * 3 + (x < w / 2 ? 0 : 2)] = 255;
  const jpeg = await sharp(raw, { raw: { width: w, height: h, channels: 3 } }).png().toBuffer();
  const px = await preprocessImage(jpeg, AUGREG_PREPROCESS);
  assert.equal(px.length, 224 * 224 * 3);
  const at = (y: number, x: number) => [...px.subarray((y * 224 + x) * 3, (y * 224 + x) * 3 + 3)];
  assert.deepEqual(at(100, 0), [255, 0, 0]);
  assert.deepEqual(at(100, 223), [0, 0, 255]);
  assert.deepEqual(at(100, 100), [255, 0, 0]);
  assert.deepEqual(at(100, 123), [0, 0, 255]);
});

test('augmentation applies flips and quarter turns exactly, and normalises with mean = std = 0.5', () => {
  // 2×2 image with distinct red values a b / c d.
  const pixels = new Uint8Array([0, 0, 0, 51, 0, 0, 102, 0, 0, 255, 0, 0]);
  const red = (t: Dihedral) => {
    const out = new Float32Array(12);
    writeNormalizedChw(pixels, 2, t, AUGREG_PREPROCESS, out, 0);
    return [...out.subarray(0, 4)].map((v) => Math.round(((v + 1) / 2) * 255));
  };
  assert.deepEqual(red(IDENTITY), [0, 51, 102, 255]);
  assert.deepEqual(red({ flipH: true, flipV: false, quarterTurns: 0 }), [51, 0, 255, 102]);
  assert.deepEqual(red({ flipH: false, flipV: true, quarterTurns: 0 }), [102, 255, 0, 51]);
  // numpy.rot90 (counter-clockwise): [[a, b], [c, d]] -> [[b, d], [a, c]]
  assert.deepEqual(red({ flipH: false, flipV: false, quarterTurns: 1 }), [51, 255, 0, 102]);
  assert.deepEqual(red({ flipH: false, flipV: false, quarterTurns: 2 }), [255, 102, 51, 0]);
  const out = new Float32Array(12);
  writeNormalizedChw(pixels, 2, IDENTITY, AUGREG_PREPROCESS, out, 0);
  assert.equal(out[0], -1);
  assert.ok(Math.abs(out[3]! - 1) < 1e-6);
  assert.equal(out[4], -1, 'green plane');
});

test('the cache decodes each photo once, is keyed by sha256, and refuses a changed file', async () => {
  const dir = tempDir();
  const photo = path.join(dir, 'a.jpg');
  const bytes = await makeJpeg(3, 300, 260);
  fs.writeFileSync(photo, bytes);
  const cache = new PreprocessCache(path.join(dir, 'cache'), AUGREG_PREPROCESS);
  const first = await cache.get(sha(bytes), photo);
  fs.rmSync(photo); // a cache hit must not need the original any more
  const second = await cache.get(sha(bytes), photo);
  assert.deepEqual(second, first);
  fs.writeFileSync(photo, await makeJpeg(4, 300, 260));
  await assert.rejects(cache.get(sha(Buffer.from('other')), photo), /has changed since it was catalogued/);
});

test('batches are deterministic for a seed, reshuffled each epoch, and bad items are reported, not fatal', async () => {
  const dir = tempDir();
  const files = fs.readdirSync(path.join(MINERALS7, 'biotite')).slice(0, 10).map((f) => path.join(MINERALS7, 'biotite', f));
  const items: DataItem[] = files.map((p, i) => ({ specimenId: i + 1, sha256: sha(fs.readFileSync(p)), path: p, classIndex: i % 3 }));
  items.push({ specimenId: 99, sha256: 'f'.repeat(64), path: path.join(dir, 'missing.jpg'), classIndex: 0 });
  const cache = new PreprocessCache(path.join(dir, 'cache'), AUGREG_PREPROCESS);
  const { usable, errors } = await warmCache(cache, items);
  assert.equal(usable.length, 10);
  assert.deepEqual(errors.map((e) => path.basename(e.path)), ['missing.jpg']);

  const source = new BatchSource(cache, usable, AUGREG_PREPROCESS);
  assert.deepEqual(source.trainPlan(0, 4, 7), source.trainPlan(0, 4, 7));
  assert.notDeepEqual(source.trainPlan(0, 4, 7), source.trainPlan(1, 4, 7));
  assert.equal(source.trainPlan(0, 4, 7).length, 2, 'the partial batch is dropped');
  const plan = source.trainPlan(3, 4, 7)[0]!;
  const a = await source.load(plan, { epoch: 3, seed: 7 });
  const b = await source.load(plan, { epoch: 3, seed: 7 });
  assert.deepEqual(a.images, b.images);
  assert.equal(a.images.length, 4 * 3 * 224 * 224);
  const plain = await source.load(plan, null);
  assert.notDeepEqual(plain.images, a.images, 'some of the four samples are flipped or turned');
  assert.deepEqual(source.evalPlan(4).map((p) => p.length), [4, 4, 2]);

  const loaded: number[] = [];
  for await (const batch of prefetched([[0], [1], [2]], (p) => source.load(p, null))) loaded.push(batch.specimenIds[0]!);
  assert.deepEqual(loaded, [1, 2, 3]);
  assert.equal(new Set(permutation(50, 1)).size, 50);
});
