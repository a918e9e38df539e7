// The image protocol serves catalogue files only (shared by Electron's orelab-image:// and the harness).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { specimenImageUrl, fileImageUrl, parseImageRoute } from '../../src/shared/images';
import { openTestCore, photoFolder, type TestCore } from './helpers';
import { MINERALS7 } from '../helpers/fs';

let t: TestCore;
let photos: string;
let key: string;
let ids: number[];

/** Requests an image URL through the core, as both shells do (base "/img/" here). */
function get(url: string): Promise<Response> {
  const u = new URL(url, 'http://x');
  return t.core.handleImage(u.pathname.replace(/^\/img\//, ''), u.searchParams);
}
const BASE = '/img/';

before(async () => {
  t = openTestCore();
  photos = photoFolder(t.dir, { quartz: 2 });
  // A TIFF, which Chromium cannot show: served converted to JPEG.
  await sharp(path.join(photos, 'quartz', fs.readdirSync(path.join(photos, 'quartz'))[0]!))
    .tiff()
    .toFile(path.join(photos, 'quartz', 'scan.tif'));
  const { job } = await t.call('jobs.start', { kind: 'import', params: { folder: photos, labelsFromFolders: true } });
  assert.equal((await t.finished(job.id)).status, 'completed');
  key = (await t.call('catalogue.current', {})).catalogue!.key;
  ids = (await t.call('specimens.ids', { filter: {}, limit: 100 })).ids;
  assert.equal(ids.length, 3);
});
after(() => t.close());

test('thumbnails come from the catalogue as JPEG', async () => {
  const r = await get(specimenImageUrl(BASE, 'thumb', ids[0]!, key));
  assert.equal(r.status, 200);
  assert.equal(r.headers.get('content-type'), 'image/jpeg');
  assert.equal(r.headers.get('x-content-type-options'), 'nosniff');
  const bytes = Buffer.from(await r.arrayBuffer());
  assert.deepEqual([...bytes.subarray(0, 2)], [0xff, 0xd8]);
  const meta = await sharp(bytes).metadata();
  assert.ok(Math.max(meta.width!, meta.height!) <= 512);
});

test('full images are the catalogued files, converted when the browser cannot show them', async () => {
  // Import order follows decoding, so find a JPEG by name rather than by position.
  const page = (await t.call('specimens.page', { filter: {}, offset: 0, limit: 10 })).items;
  const jpegId = page.find((s) => s.originalName !== 'scan.tif')!.id;
  const detail = await t.call('specimens.get', { id: jpegId });
  const r = await get(specimenImageUrl(BASE, 'full', jpegId, key));
  assert.equal(r.status, 200);
  assert.deepEqual(Buffer.from(await r.arrayBuffer()), fs.readFileSync(detail.specimen.path));

  const tiffId = page.find((s) => s.originalName === 'scan.tif')!.id;
  const tiff = await get(specimenImageUrl(BASE, 'full', tiffId, key));
  assert.equal(tiff.status, 200);
  assert.equal(tiff.headers.get('content-type'), 'image/jpeg');
  assert.equal((await sharp(Buffer.from(await tiff.arrayBuffer())).metadata()).format, 'jpeg');
});

test('a file by path is served only if it belongs to a catalogued specimen', async () => {
  const detail = await t.call('specimens.get', { id: ids[1]! });
  const ok = await get(fileImageUrl(BASE, detail.specimen.path, key));
  assert.equal(ok.status, 200);

  // A real photo next to the catalogued ones, but never imported.
  const stranger = path.join(photos, 'quartz', 'not-imported.jpg');
  const source = path.join(MINERALS7, 'pyrite', fs.readdirSync(path.join(MINERALS7, 'pyrite')).sort()[0]!);
  fs.copyFileSync(source, stranger);
  for (const p of [stranger, source, '/etc/passwd', t.dbPath, `${path.dirname(detail.specimen.path)}/../quartz/${path.basename(stranger)}`]) {
    const r = await get(fileImageUrl(BASE, p, key));
    assert.equal(r.status, 403, p);
    assert.equal(await r.text(), 'not a catalogued file');
  }
  // A relative path never matches, even one that names a catalogued file from the right folder.
  const cwd = process.cwd();
  process.chdir(path.dirname(detail.specimen.path));
  try {
    assert.equal((await get(fileImageUrl(BASE, path.basename(detail.specimen.path), key))).status, 403);
  } finally {
    process.chdir(cwd);
  }
  // The traversal form of a catalogued path is the same file: allowed, because it resolves to it.
  const dotted = path.join(path.dirname(detail.specimen.path), '..', 'quartz', path.basename(detail.specimen.path)).replace('/quartz/', '/quartz/../quartz/');
  assert.equal((await get(fileImageUrl(BASE, dotted, key))).status, 200);
});

test('malformed URLs, unknown ids, and URLs of another catalogue are refused', async () => {
  assert.equal((await get(`${BASE}thumb/abc?c=${key}`)).status, 400);
  assert.equal((await get(`${BASE}full/0?c=${key}`)).status, 400);
  assert.equal((await get(`${BASE}full/1/../../etc/passwd?c=${key}`)).status, 400);
  assert.equal((await get(`${BASE}file?c=${key}`)).status, 400);
  assert.equal((await get(`${BASE}../secret?c=${key}`)).status, 400);
  assert.equal((await get(specimenImageUrl(BASE, 'thumb', 99999, key))).status, 404);
  assert.equal((await get(specimenImageUrl(BASE, 'full', 99999, key))).status, 404);
  assert.equal((await get(`${BASE}thumb/${ids[0]}`)).status, 404);
  assert.equal((await get(specimenImageUrl(BASE, 'thumb', ids[0]!, 'stale'))).status, 404);
});

test('a specimen whose file was deleted since import gives 404, its thumbnail still works', async () => {
  const detail = await t.call('specimens.get', { id: ids[2]! });
  fs.renameSync(detail.specimen.path, `${detail.specimen.path}.moved`);
  try {
    const r = await get(specimenImageUrl(BASE, 'full', ids[2]!, key));
    assert.equal(r.status, 404);
    assert.match(await r.text(), /moved or deleted/);
    assert.equal((await get(specimenImageUrl(BASE, 'thumb', ids[2]!, key))).status, 200);
  } finally {
    fs.renameSync(`${detail.specimen.path}.moved`, detail.specimen.path);
  }
});

test('a specimen whose file was replaced by something that is not an image is refused, by id and by path', async () => {
  const page = (await t.call('specimens.page', { filter: {}, offset: 0, limit: 10 })).items;
  const jpeg = page.find((s) => s.originalName !== 'scan.tif')!;
  const tiff = page.find((s) => s.originalName === 'scan.tif')!;
  const secret = path.join(t.dir, 'secret.txt');
  fs.writeFileSync(secret, 'root:x:0:0:not an image\n');
  for (const specimen of [jpeg, tiff]) {
    const file = (await t.call('specimens.get', { id: specimen.id })).specimen.path;
    const original = fs.readFileSync(file);
    try {
      // A text file at the catalogued path, then a symlink there to a file that is not an image.
      for (const replace of [() => fs.writeFileSync(file, 'root:x:0:0:not an image\n'), () => fs.symlinkSync(secret, file)]) {
        fs.rmSync(file);
        replace();
        for (const url of [specimenImageUrl(BASE, 'full', specimen.id, key), fileImageUrl(BASE, file, key)]) {
          const r = await get(url);
          assert.equal(r.status, 403, `${specimen.originalName}: ${url}`);
          const body = await r.text();
          assert.ok(!body.includes('root:'), body);
          assert.match(body, /not an image/);
        }
      }
    } finally {
      fs.rmSync(file);
      fs.writeFileSync(file, original);
    }
    assert.equal((await get(specimenImageUrl(BASE, 'full', specimen.id, key))).status, 200);
  }
});

test('an image is served as the format its bytes decode as, not the format recorded at import', async () => {
  const page = (await t.call('specimens.page', { filter: {}, offset: 0, limit: 10 })).items;
  const jpeg = page.find((s) => s.originalName !== 'scan.tif')!;
  const file = (await t.call('specimens.get', { id: jpeg.id })).specimen.path;
  const original = fs.readFileSync(file);
  try {
    fs.writeFileSync(file, await sharp(original).png().toBuffer());
    const r = await get(specimenImageUrl(BASE, 'full', jpeg.id, key));
    assert.equal(r.status, 200);
    assert.equal(r.headers.get('content-type'), 'image/png');
    assert.equal((await sharp(Buffer.from(await r.arrayBuffer())).metadata()).format, 'png');
  } finally {
    fs.writeFileSync(file, original);
  }
});

test('opening another catalogue invalidates the old image URLs', async () => {
  const url = specimenImageUrl(BASE, 'thumb', ids[0]!, key);
  assert.equal((await get(url)).status, 200);
  const reopened = await t.call('catalogue.open', { path: t.dbPath });
  assert.notEqual(reopened.catalogue.key, key);
  assert.equal((await get(url)).status, 404);
  assert.equal((await get(specimenImageUrl(BASE, 'thumb', ids[0]!, reopened.catalogue.key))).status, 200);
  key = reopened.catalogue.key;
});

test('image routes parse strictly', () => {
  const q = new URLSearchParams('c=k');
  assert.deepEqual(parseImageRoute('thumb/12', q), { kind: 'thumb', specimenId: 12, key: 'k' });
  assert.deepEqual(parseImageRoute('full/7', q), { kind: 'full', specimenId: 7, key: 'k' });
  for (const bad of ['thumb/', 'thumb/012', 'thumb/1.5', 'thumb/-1', 'full/1/2', 'other/1', '']) {
    assert.equal(parseImageRoute(bad, q).kind, 'invalid', bad);
  }
});
