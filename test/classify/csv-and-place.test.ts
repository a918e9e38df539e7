import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import crypto from 'node:crypto';
import { csvField, csvLine, parseCsv, writeCsvFile } from '../../src/main/jobs/classify/csv';
import { placeFile, removePartialCopies } from '../../src/main/jobs/classify/place';
import { tempDir } from '../helpers/fs';

const sha = (b: Buffer | string) => crypto.createHash('sha256').update(b).digest('hex');

test('CSV fields follow RFC 4180 and formula-like text is defused', () => {
  assert.equal(csvField('plain'), 'plain');
  assert.equal(csvField('a,b'), '"a,b"');
  assert.equal(csvField('say "hi"'), '"say ""hi"""');
  assert.equal(csvField('two\nlines'), '"two\nlines"');
  assert.equal(csvField('=HYPERLINK("http://x")'), `"'=HYPERLINK(""http://x"")"`);
  assert.equal(csvField('+1'), "'+1");
  assert.equal(csvField('-rf'), "'-rf");
  assert.equal(csvField('@sum'), "'@sum");
  assert.equal(csvField(-0.25), '-0.25', 'numbers stay numbers');
  assert.equal(csvField(null), '');
  assert.equal(csvLine(['a', 1, 'Quarz ü']), 'a,1,Quarz ü\r\n');
});

test('a CSV file round-trips through the parser, with a BOM and CRLF', () => {
  const file = path.join(tempDir(), 'out.csv');
  const rows = [
    ['/photos/石英 1.jpg', 'quartz', 0.5],
    ['=cmd|calc', 'a "b", c', 1],
  ];
  writeCsvFile(file, ['path', 'class', 'p'], rows);
  const text = fs.readFileSync(file, 'utf8');
  assert.ok(text.startsWith('\ufeffpath,class,p\r\n'));
  assert.deepEqual(parseCsv(text), [
    ['path', 'class', 'p'],
    ['/photos/石英 1.jpg', 'quartz', '0.5'],
    ["'=cmd|calc", 'a "b", c', '1'],
  ]);
});

test('placing never overwrites: a clash gets a suffix, the same bytes count as already placed', async () => {
  const dir = tempDir();
  const src = path.join(dir, 'in', 'photo.jpg');
  fs.mkdirSync(path.dirname(src));
  fs.writeFileSync(src, 'photo bytes');
  const dest = path.join(dir, 'out', 'quartz');
  fs.mkdirSync(dest, { recursive: true });
  fs.writeFileSync(path.join(dest, 'photo.jpg'), 'a different photo with the same name');

  const first = await placeFile(src, sha('photo bytes'), dest, 'copy');
  assert.equal(path.basename(first.destination), 'photo (1).jpg');
  assert.equal(first.alreadyThere, false);
  assert.equal(fs.readFileSync(path.join(dest, 'photo.jpg'), 'utf8'), 'a different photo with the same name');
  assert.equal(fs.readFileSync(first.destination, 'utf8'), 'photo bytes');
  assert.ok(fs.existsSync(src), 'copy keeps the source');

  const again = await placeFile(src, sha('photo bytes'), dest, 'move');
  assert.equal(again.destination, first.destination);
  assert.equal(again.alreadyThere, true);
  assert.ok(!fs.existsSync(src), 'move removes the source once the destination holds its bytes');
  assert.deepEqual(fs.readdirSync(dest).sort(), ['photo (1).jpg', 'photo.jpg']);
});

test('a copy that does not match the source hash is refused and the source is kept', async () => {
  const dir = tempDir();
  const src = path.join(dir, 'photo.jpg');
  fs.writeFileSync(src, 'changed after hashing');
  const dest = path.join(dir, 'out');
  await assert.rejects(placeFile(src, sha('original bytes'), dest, 'copy'), /does not match the original/);
  await assert.rejects(placeFile(src, sha('original bytes'), dest, 'move'), /changed since it was read; it was left where it is/);
  assert.ok(fs.existsSync(src));
  assert.deepEqual(fs.readdirSync(dest), []);
});

test('partial copies left by a killed run are cleaned up', async () => {
  const dir = tempDir();
  fs.mkdirSync(path.join(dir, 'quartz'));
  fs.writeFileSync(path.join(dir, 'quartz', '.orelab-partial-abc'), 'half');
  fs.writeFileSync(path.join(dir, 'quartz', 'keep.jpg'), 'x');
  assert.equal(await removePartialCopies(dir), 1);
  assert.deepEqual(fs.readdirSync(path.join(dir, 'quartz')), ['keep.jpg']);
});
