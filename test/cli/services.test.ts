// The label, split, export and import services under the CLI and the app: the CLI names classes and
// specimens as a person types them, the app by id, and both reach the same service and the same errors; the
// CLI's flags go through the use case's schema (a bad value is a usage error naming the flag, exit 2).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { catalogueStats, findClass, insertSpecimen, openDatabase, registerModel } from '../../src/main/catalogue';
import { mergeClasses, renameClass } from '../../src/main/services/label';
import { UserError } from '../../src/shared/errors';
import { runCliInProcess } from '../helpers/cli';
import { tempDir } from '../helpers/fs';

const cli = (argv: string[]) => runCliInProcess(argv);

/** A catalogue with three unlabeled specimens whose sha256 start with aaaaaa, bbbbbb and cccccc. */
function catalogueWithSpecimens(): string {
  const file = path.join(tempDir(), 'c.sqlite');
  const db = openDatabase(file);
  for (const c of ['a', 'b', 'c']) {
    insertSpecimen(db, {
      sha256: c.repeat(64),
      path: `/photos/${c}.jpg`,
      originalName: `${c}.jpg`,
      byteSize: 1,
      format: 'jpeg',
      width: 1,
      height: 1,
      exifDate: null,
      importedAt: '2026-01-01T00:00:00.000Z',
      labelClassId: null,
    });
  }
  db.close();
  return file;
}

test('orelab label: references and a class name; all or nothing; the same specimen twice is labeled once', async () => {
  const file = catalogueWithSpecimens();
  const ok = await cli(['label', 'aaaaaa', 'aaaaaaa', 'bbbbbb', '--class', 'quartz', '--db', file, '--json']);
  assert.equal(ok.status, 0, ok.stderr);
  const out = JSON.parse(ok.stdout) as { class: string; requested: number; changed: number; opId: number };
  assert.deepEqual({ ...out, opId: out.opId > 0 }, { class: 'quartz', requested: 3, changed: 2, opId: true });
  const bad = await cli(['label', 'cccccc', 'zzzzzz', '--class', 'quartz', '--db', file]);
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, /^orelab label: "zzzzzz" is neither a catalogued file nor a sha256 prefix/);
  const db = openDatabase(file);
  assert.equal(catalogueStats(db).labeled, 2, 'a bad reference labels nothing');
  db.close();
});

test('classes by name (the CLI) or by id (the app) reach the same rename and merge', async () => {
  const file = catalogueWithSpecimens();
  assert.equal((await cli(['label', 'aaaaaa', '--class', 'quartz', '--db', file])).status, 0);
  assert.equal((await cli(['label', 'bbbbbb', '--class', 'calcite', '--db', file])).status, 0);
  const db = openDatabase(file);
  try {
    const quartz = findClass(db, 'quartz')!;
    assert.deepEqual(renameClass({ db }, { class: quartz.id, name: 'Quartz' }), { id: quartz.id, name: 'Quartz', count: 1 });
    assert.deepEqual(renameClass({ db }, { class: 'Quartz', name: 'quartz' }), { id: quartz.id, name: 'quartz', count: 1 });
    assert.throws(
      () => renameClass({ db }, { class: 'nope', name: 'x' }),
      (err: unknown) => err instanceof UserError && err.kind === 'conflict' && /no class named "nope"/.test(err.message),
    );
    assert.throws(() => mergeClasses({ db }, { from: 999, into: 'quartz' }), /no class with id 999/);
    assert.equal(mergeClasses({ db }, { from: 'calcite', into: quartz.id }).moved, 1);
  } finally {
    db.close();
  }
  const listed = await cli(['classes', '--db', file, '--json']);
  assert.deepEqual((JSON.parse(listed.stdout) as { name: string; count: number }[]).map((c) => [c.name, c.count]), [['quartz', 2]]);
});

test('orelab export refuses a folder, or a file in a missing folder, as the app does: exit 1, one line', async () => {
  const dir = tempDir();
  const file = path.join(dir, 'c.sqlite');
  const db = openDatabase(file);
  registerModel(db, { id: 'abcd1111', path: '/m/abcd1111.onnx', runId: null, name: 'abcd1111', classes: ['a', 'b'], metadata: {} });
  db.close();
  const toFolder = await cli(['export', 'metrics', '--db', file, '--model', 'abcd', '--csv', dir]);
  assert.equal(toFolder.status, 1);
  assert.match(toFolder.stderr, /^orelab export: .* is a folder; give a file name\n$/);
  const missing = await cli(['export', 'metrics', '--db', file, '--model', 'abcd', '--csv', path.join(dir, 'nope', 'm.csv')]);
  assert.equal(missing.status, 1);
  assert.match(missing.stderr, /^orelab export: .*nope: no such folder\n$/);
  // A "folder" that is a file (ENOTDIR) is the user's input too, not an unexpected error.
  fs.writeFileSync(path.join(dir, 'plain'), 'x');
  const underFile = await cli(['export', 'metrics', '--db', file, '--model', 'abcd', '--csv', path.join(dir, 'plain', 'm.csv')]);
  assert.equal(underFile.status, 1);
  assert.match(underFile.stderr, /^orelab export: .*plain is a file, not a folder\n$/);
  // An unknown model names the ones there are.
  const unknown = await cli(['export', 'metrics', '--db', file, '--model', 'ffff', '--csv', path.join(dir, 'm.csv')]);
  assert.match(unknown.stderr, /^orelab export: no model "ffff" in the catalogue; known: abcd1111 \(abcd1111\)\n$/);
  const written = await cli(['export', 'metrics', '--db', file, '--model', 'abcd', '--csv', path.join(dir, 'm.csv'), '--json']);
  assert.equal(written.status, 0, written.stderr);
  const out = JSON.parse(written.stdout) as { kind: string; model: string; csv: string; rows: number };
  assert.deepEqual({ ...out, rows: undefined }, { kind: 'metrics', model: 'abcd1111', csv: path.join(dir, 'm.csv'), rows: undefined });
  assert.equal(out.rows + 1, fs.readFileSync(path.join(dir, 'm.csv'), 'utf8').trim().split('\n').length, 'the header and the rows counted');
});

test('split, stats and import flags go through their schemas; a missing import folder leaves no catalogue behind', async () => {
  const dir = tempDir();
  const file = path.join(dir, 'c.sqlite');
  const seed = await cli(['split', '--seed=-1', '--db', file]);
  assert.equal(seed.status, 2);
  assert.match(seed.stderr, /^orelab split: --seed must be >= 0, got "-1"\nusage: orelab split /);
  const beta = await cli(['stats', '--beta', '1', '--db', file]);
  assert.equal(beta.status, 2);
  assert.match(beta.stderr, /^orelab stats: --beta must be < 1, got "1"\n/);
  const missing = await cli(['import', path.join(dir, 'no-such-folder'), '--db', file]);
  assert.equal(missing.status, 1);
  assert.match(missing.stderr, /no-such-folder: no such folder/);
  assert.equal(fs.existsSync(file), false);
});
