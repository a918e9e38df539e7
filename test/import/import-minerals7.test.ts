import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import fs from 'node:fs';
import crypto from 'node:crypto';
import type { CatalogueStats, ImportSummary } from '../../src/shared/domain';
import { MINERALS7, tempDir } from '../helpers/fs';
import { parseJson, runOrelab } from '../helpers/cli';

const EXPECTED = { biotite: 58, bornite: 144, chrysocolla: 138, malachite: 198, muscovite: 65, pyrite: 82, quartz: 119 };

test('orelab import of minerals7 catalogues 804 specimens in 7 classes; a re-run adds nothing; stats match', () => {
  const db = path.join(tempDir(), 'x.sqlite');
  const first = runOrelab(['import', MINERALS7, '--labels-from-folders', '--db', db, '--json']);
  assert.equal(first.status, 0, first.stderr);
  const summary = parseJson<ImportSummary>(first);
  assert.equal(summary.new, 804);
  assert.equal(summary.specimensTotal, 804);
  assert.deepEqual(summary.classes, EXPECTED);
  assert.deepEqual(summary.errors, []);
  assert.equal(summary.skippedNonImage, 2, 'SOURCE.md and manifest.csv are not images');

  const second = parseJson<ImportSummary>(runOrelab(['import', MINERALS7, '--labels-from-folders', '--db', db, '--json']));
  assert.equal(second.new, 0);
  assert.equal(second.duplicates, 804);
  assert.equal(second.labeled, 0);
  assert.equal(second.specimensTotal, 804);

  const stats = parseJson<CatalogueStats>(runOrelab(['stats', '--db', db, '--json']));
  assert.equal(stats.labeled, 804);
  assert.deepEqual(Object.fromEntries(stats.classes.map((c) => [c.name, c.count])), EXPECTED);
  for (const c of stats.classes) assert.ok(Math.abs(c.weightInverse - 804 / (7 * c.count)) < 1e-12, c.name);

  const split = runOrelab(['split', '--db', db, '--seed', '3', '--json']);
  assert.equal(split.status, 0, split.stderr);
  const after = parseJson<CatalogueStats>(runOrelab(['stats', '--db', db, '--json']));
  assert.equal(after.splits.unassigned, 0);
  for (const c of after.classes) {
    assert.equal(c.splits.train + c.splits.val + c.splits.test, c.count);
    assert.ok(Math.abs(c.splits.train - 0.8 * c.count) <= 1, `${c.name} train ${c.splits.train} of ${c.count}`);
  }
});

test('ORELAB_DB selects the catalogue when --db is absent', () => {
  const db = path.join(tempDir(), 'env.sqlite');
  const r = runOrelab(['classes', 'add', 'quartz', '--json'], { env: { ORELAB_DB: db } });
  assert.equal(r.status, 0, r.stderr);
  const list = parseJson<{ name: string }[]>(runOrelab(['classes', '--json', '--db', db]));
  assert.deepEqual(list.map((c) => c.name), ['quartz']);
  // A class clash is the catalogue's own error, said plainly (not as an unexpected error).
  const clash = runOrelab(['classes', 'add', 'QUARTZ', '--db', db]);
  assert.equal(clash.status, 1);
  assert.match(clash.stderr, /^orelab classes: .*already exists/);
});

test('label, undo and classes through the CLI, with clear errors for bad references', () => {
  const dir = tempDir();
  const db = path.join(dir, 'c.sqlite');
  runOrelab(['import', path.join(MINERALS7, 'biotite'), '--db', db]);
  const files = parseJson<{ new: number }>(runOrelab(['import', path.join(MINERALS7, 'muscovite'), '--db', db, '--json']));
  assert.equal(files.new, 65);
  const one = path.join(MINERALS7, 'biotite', '2737bbfc1b7cc5b6.jpg');
  const shaPrefix = crypto.createHash('sha256').update(fs.readFileSync(one)).digest('hex').slice(0, 8);
  // The same specimen named twice (by path and by hash) is labeled once.
  const labeled = runOrelab(['label', one, shaPrefix, '--class', 'mica', '--db', db, '--json']);
  assert.equal(labeled.status, 0, labeled.stderr);
  assert.equal(parseJson<{ changed: number }>(labeled).changed, 1);
  const bad = runOrelab(['label', 'zzz-not-there', '--class', 'mica', '--db', db]);
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, /"zzz-not-there" is neither a catalogued file nor a sha256 prefix/);
  const usage = runOrelab(['label', one, '--db', db]);
  assert.equal(usage.status, 2);
  assert.match(usage.stderr, /--class NAME is required/);
  const undo = parseJson<{ reverted: number }>(runOrelab(['undo', '--db', db, '--json']));
  assert.equal(undo.reverted, 1);
  const stats = parseJson<CatalogueStats>(runOrelab(['stats', '--db', db, '--json']));
  assert.equal(stats.labeled, 0);
  assert.equal(stats.unlabeled, 123);
});
