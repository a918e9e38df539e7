import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import type { ImportSummary } from '../../src/shared/domain';
import { openDatabase } from '../../src/main/catalogue';
import { importFolder } from '../../src/main/jobs/import';
import { explainSharpError } from '../../src/main/images/decode';
import { tempDir } from '../helpers/fs';
import { makeJpeg, makePngBomb } from '../helpers/images';
import { parseJson, runOrelab } from '../helpers/cli';

// As root, file permissions do not stop reads; drop the capabilities that bypass them so that an
// unreadable file is unreadable for the import too.
const AS_UNPRIVILEGED = process.getuid?.() === 0 ? ['setpriv', '--bounding-set=-dac_override,-dac_read_search', '--inh-caps=-dac_override,-dac_read_search'] : [];

async function buildBadFolder(root: string): Promise<{ good: string[] }> {
  const quartz = path.join(root, 'quartz');
  const pyrite = path.join(root, 'pyrite');
  fs.mkdirSync(quartz);
  fs.mkdirSync(pyrite);
  const good = [path.join(quartz, 'Probe Nr 1 (Härte 7).jpg'), path.join(quartz, '石英 标本.jpeg'), path.join(pyrite, 'good.jpg')];
  for (const [i, p] of good.entries()) fs.writeFileSync(p, await makeJpeg(i + 1));
  const full = await makeJpeg(9, 320, 240);
  fs.writeFileSync(path.join(pyrite, 'truncated.jpg'), full.subarray(0, Math.floor(full.length / 2)));
  fs.writeFileSync(path.join(pyrite, 'empty.jpg'), Buffer.alloc(0));
  fs.writeFileSync(path.join(pyrite, 'notes.jpg'), 'Sample 17, found near the creek.\nLooks like pyrite.\n');
  fs.writeFileSync(path.join(quartz, 'bomb.png'), makePngBomb());
  const unreadable = path.join(quartz, 'locked.jpg');
  fs.writeFileSync(unreadable, await makeJpeg(5));
  fs.chmodSync(unreadable, 0o000);
  fs.symlinkSync('.', path.join(quartz, 'loop'));
  fs.symlinkSync('nowhere.jpg', path.join(pyrite, 'dangling.jpg'));
  fs.writeFileSync(path.join(root, 'README.txt'), 'not an image, skipped quietly');
  return { good };
}

test('every bad input is named with a reason, the good files are all imported, and the exit status is 0', async () => {
  const dir = tempDir();
  const root = path.join(dir, 'photos');
  fs.mkdirSync(root);
  const { good } = await buildBadFolder(root);
  const db = path.join(dir, 'c.sqlite');
  const run = runOrelab(['import', root, '--labels-from-folders', '--db', db, '--json'], { prefix: AS_UNPRIVILEGED });
  assert.equal(run.status, 0, run.stderr);
  const summary = parseJson<ImportSummary>(run);
  assert.equal(summary.new, 3);
  assert.deepEqual(summary.classes, { pyrite: 1, quartz: 2 });
  const reasons = new Map(summary.errors.map((e) => [path.relative(root, e.path), e.reason]));
  const expected: [string, RegExp][] = [
    ['pyrite/truncated.jpg', /truncated or corrupt image/],
    ['pyrite/empty.jpg', /empty file \(0 bytes\)/],
    ['pyrite/notes.jpg', /not an image: the file holds text/],
    ['quartz/bomb.png', /image too large: 30000×30000 .* decompression bomb/],
    ['quartz/locked.jpg', /permission denied/],
    ['quartz/loop', /symlink loop/],
    ['pyrite/dangling.jpg', /^broken symbolic link → nowhere\.jpg$/],
  ];
  for (const [file, reason] of expected) assert.match(reasons.get(file) ?? '(not reported)', reason, file);
  assert.equal(summary.errors.length, expected.length, JSON.stringify(summary.errors, null, 1));

  const catalogue = openDatabase(db);
  const paths = (catalogue.prepare('SELECT path FROM specimens ORDER BY path').all() as { path: string }[]).map((r) => r.path);
  assert.deepEqual(paths, [...good].sort());
  catalogue.close();

  const human = runOrelab(['import', root, '--db', db], { prefix: AS_UNPRIVILEGED });
  assert.equal(human.status, 0);
  assert.match(human.stdout, /error: .*locked\.jpg: permission denied/);
});

test('a folder where nothing can be imported exits non-zero, naming each file', () => {
  const dir = tempDir();
  const root = path.join(dir, 'bad');
  fs.mkdirSync(root);
  fs.writeFileSync(path.join(root, 'a.jpg'), 'text');
  fs.writeFileSync(path.join(root, 'b.png'), Buffer.alloc(0));
  const run = runOrelab(['import', root, '--db', path.join(dir, 'c.sqlite')]);
  assert.equal(run.status, 1);
  assert.match(run.stdout, /a\.jpg: not an image/);
  assert.match(run.stdout, /b\.png: empty file/);
  const missing = runOrelab(['import', path.join(dir, 'no-such-folder'), '--db', path.join(dir, 'c.sqlite')]);
  assert.equal(missing.status, 1);
  assert.match(missing.stderr, /no-such-folder: no such folder/);
});

test('a file deleted during the scan is reported and the rest goes on', async () => {
  const dir = tempDir();
  const root = path.join(dir, 'photos');
  fs.mkdirSync(root);
  const files = ['a.jpg', 'b.jpg', 'c.jpg', 'd.jpg'].map((n) => path.join(root, n));
  for (const [i, f] of files.entries()) fs.writeFileSync(f, await makeJpeg(20 + i));
  const db = openDatabase(path.join(dir, 'c.sqlite'));
  let deleted: string[] = [];
  // One file at a time: when the first is done, the folder has been listed but the others not yet read.
  const summary = await importFolder(db, {
    folder: root,
    labelsFromFolders: false,
    concurrency: 1,
    onProgress: (p) => {
      if (p.done === 1) {
        deleted = files.filter((f) => f !== p.currentPath);
        for (const f of deleted) fs.rmSync(f);
      }
    },
  });
  assert.equal(summary.new, 1);
  assert.deepEqual(summary.errors.map((e) => e.path).sort(), deleted.sort());
  for (const e of summary.errors) assert.match(e.reason, /vanished during the scan/);
  db.close();
});

test('EXIF orientation and date are honoured', async () => {
  const dir = tempDir();
  const root = path.join(dir, 'photos');
  fs.mkdirSync(root);
  const upright = await sharp(await makeJpeg(40, 80, 40))
    .withExif({ IFD0: { DateTime: '2024:05:06 07:08:09' } })
    .withMetadata({ orientation: 6 })
    .jpeg()
    .toBuffer();
  fs.writeFileSync(path.join(root, 'rotated.jpg'), upright);
  const db = openDatabase(path.join(dir, 'c.sqlite'));
  const summary = await importFolder(db, { folder: root, labelsFromFolders: false });
  assert.equal(summary.new, 1);
  const row = db.prepare('SELECT s.width, s.height, s.exif_date AS exifDate, t.width AS tw, t.height AS th FROM specimens s JOIN thumbnails t ON t.specimen_id = s.id').get();
  assert.deepEqual(row, { width: 40, height: 80, exifDate: '2024-05-06T07:08:09', tw: 40, th: 80 });
  db.close();
});

test('the same photo in two class folders is one specimen, with the disagreement reported', async () => {
  const dir = tempDir();
  const root = path.join(dir, 'photos');
  fs.mkdirSync(path.join(root, 'quartz'), { recursive: true });
  fs.mkdirSync(path.join(root, 'pyrite'));
  const bytes = await makeJpeg(50);
  fs.writeFileSync(path.join(root, 'quartz', 'x.jpg'), bytes);
  fs.writeFileSync(path.join(root, 'pyrite', 'x-copy.jpg'), bytes);
  const db = openDatabase(path.join(dir, 'c.sqlite'));
  const summary = await importFolder(db, { folder: root, labelsFromFolders: true });
  assert.equal(summary.new, 1);
  assert.equal(summary.duplicates, 1);
  assert.equal(summary.warnings.length, 1);
  assert.match(summary.warnings[0]!.reason, /already catalogued as "(quartz|pyrite)", folder says "(pyrite|quartz)"; label kept/);
  db.close();
});

test('a decode error is explained from the file’s bytes, even when libvips hands over another file’s message', async () => {
  // libvips has one error buffer per process, so concurrent failures can swap messages; these are the swaps.
  const full = await makeJpeg(3, 300, 200);
  const cut = full.subarray(0, full.length >> 1);
  const text = Buffer.from('just some text\n');
  assert.match(explainSharpError(new Error('VipsForeignLoad: buffer is not in a known format'), cut), /^truncated or corrupt image/);
  assert.match(explainSharpError(new Error('VipsJpeg: Premature end of JPEG file'), text), /^not an image: the file holds text/);
  assert.match(explainSharpError(new Error('Input buffer contains unsupported image format'), Buffer.from([0, 1, 2, 3, 200, 201])), /^not an image: unrecognised/);
  assert.match(explainSharpError(new Error('Input buffer contains unsupported image format'), full), /^truncated or corrupt image: the file starts as a JPEG/);
  // The real messages, from real decodes.
  const decodeMessage = async (bytes: Buffer) => sharp(bytes, { failOn: 'warning' }).raw().toBuffer().then(() => 'decoded', (err: Error) => explainSharpError(err, bytes));
  assert.match(await decodeMessage(cut), /^truncated or corrupt image/);
  assert.match(await decodeMessage(text), /^not an image: the file holds text/);
  assert.equal(await decodeMessage(full), 'decoded');
});
