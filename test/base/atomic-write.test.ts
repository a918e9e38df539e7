import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { SymlinkTargetError, isAtomicTempName, writeFileAtomic, writeFileAtomicSync } from '../../src/main/base/atomic-write';
import { writeCsvFile } from '../../src/main/jobs/classify/csv';
import { saveSettings } from '../../src/main/app/settings';
import { tempDir } from '../helpers/fs';

test('atomic write: replaces the file whole, keeps an existing mode, leaves no temp file', async () => {
  const dir = tempDir();
  const file = path.join(dir, 'report.json');
  writeFileAtomicSync(file, 'first');
  fs.chmodSync(file, 0o600);
  writeFileAtomicSync(file, [Buffer.from('sec'), Buffer.from('ond')]);
  assert.equal(fs.readFileSync(file, 'utf8'), 'second');
  assert.equal(fs.statSync(file).mode & 0o777, 0o600);
  await writeFileAtomic(file, new Uint8Array([1, 2, 3]));
  assert.deepEqual([...fs.readFileSync(file)], [1, 2, 3]);
  assert.deepEqual(fs.readdirSync(dir), ['report.json']);
});

test('atomic write: a symlink planted at the old predictable temp name is not followed', () => {
  // Before the helper, writeCsvFile wrote `${file}.${pid}.tmp`, so a planted link there overwrote its target.
  const dir = tempDir();
  const victim = path.join(dir, 'victim.txt');
  fs.writeFileSync(victim, 'keep me\n');
  const csv = path.join(dir, 'out.csv');
  fs.symlinkSync(victim, `${csv}.${process.pid}.tmp`);
  const settingsDir = path.join(dir, 'settings');
  fs.mkdirSync(settingsDir);
  fs.symlinkSync(victim, path.join(settingsDir, `settings.json.${process.pid}.tmp`));
  writeCsvFile(csv, ['a'], [[1]]);
  saveSettings(settingsDir, { lastCatalogue: '/x.sqlite' });
  assert.equal(fs.readFileSync(victim, 'utf8'), 'keep me\n');
  assert.match(fs.readFileSync(csv, 'utf8'), /^\ufeffa\r\n1\r\n$/);
});

test('atomic write: refuseSymlink names the file and leaves the link and its target alone', async () => {
  const dir = tempDir();
  const victim = path.join(dir, 'victim.txt');
  fs.writeFileSync(victim, 'keep me\n');
  const link = path.join(dir, 'export.csv');
  fs.symlinkSync(victim, link);
  assert.throws(() => writeCsvFile(link, ['a'], [[1]]), (err: unknown) => err instanceof SymlinkTargetError && err.message.includes(link));
  await assert.rejects(writeFileAtomic(link, 'x', { refuseSymlink: true }), SymlinkTargetError);
  assert.equal(fs.readFileSync(victim, 'utf8'), 'keep me\n');
  assert.ok(fs.lstatSync(link).isSymbolicLink());
  assert.deepEqual(fs.readdirSync(dir).sort(), ['export.csv', 'victim.txt']);
});

test('atomic write: a failed rename removes its temp file and keeps what was there', () => {
  const dir = tempDir();
  const target = path.join(dir, 'taken');
  fs.mkdirSync(target);
  fs.writeFileSync(path.join(target, 'inside'), 'x');
  assert.throws(() => writeFileAtomicSync(target, 'data'));
  assert.deepEqual(fs.readdirSync(dir), ['taken']);
  assert.deepEqual(fs.readdirSync(target), ['inside']);
});

test('atomic write: temp names are random, hidden and recognisable', () => {
  const dir = tempDir();
  const seen = new Set<string>();
  const original = fs.openSync;
  // Record the temp names the helper opens (a spy on Node's fs, not on Orelab's code).
  const spy = ((p: fs.PathLike, flags?: fs.OpenMode, mode?: fs.Mode | null) => {
    if (flags === 'wx') seen.add(path.basename(String(p)));
    return original(p, flags ?? 'r', mode);
  }) as typeof fs.openSync;
  fs.openSync = spy;
  try {
    for (let i = 0; i < 3; i++) writeFileAtomicSync(path.join(dir, 'model.onnx'), String(i));
  } finally {
    fs.openSync = original;
  }
  assert.equal(seen.size, 3);
  for (const name of seen) assert.ok(isAtomicTempName(name) && name.startsWith('.model.onnx.'), name);
});
