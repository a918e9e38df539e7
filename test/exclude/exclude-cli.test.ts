// `orelab exclude` and `orelab include` through the real CLI on a catalogue of real JPEGs: by path and by sha256
// prefix, text and --json output, exit codes, an unknown reference (named; nothing changed), an already-excluded
// photo (a no-op that says so), and `orelab undo` / `orelab redo` of both.
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { openDatabase } from '../../src/main/catalogue';
import type { CatalogueStats } from '../../src/shared/domain';
import type { ExcludeByReferenceResult } from '../../src/shared/schemas';
import { runCliInProcess } from '../helpers/cli';
import { tempDir } from '../helpers/fs';
import { makeJpeg } from '../helpers/images';

// At the top level: a temp folder made inside `before` would be removed when the hook ends.
const dir = tempDir();
const photos = path.join(dir, 'photos');
const db = path.join(dir, 'c.sqlite');
const shas = new Map<string, string>();

async function ok(argv: string[]): Promise<string> {
  const run = await runCliInProcess(argv);
  assert.equal(run.status, 0, `orelab ${argv.join(' ')}: ${run.stderr}`);
  return run.stdout;
}

const stats = async () => JSON.parse(await ok(['stats', '--db', db, '--json'])) as CatalogueStats;

function excludedPaths(): string[] {
  const d = openDatabase(db);
  try {
    return (d.prepare('SELECT path FROM specimens WHERE excluded_at IS NOT NULL ORDER BY path').all() as { path: string }[]).map((r) => path.basename(r.path));
  } finally {
    d.close();
  }
}

before(async () => {
  for (const [c, name] of ['quartz', 'pyrite'].entries()) {
    fs.mkdirSync(path.join(photos, name), { recursive: true });
    for (let i = 0; i < 4; i++) fs.writeFileSync(path.join(photos, name, `${name}-${i}.jpg`), await makeJpeg(10 * c + i));
  }
  await ok(['import', photos, '--labels-from-folders', '--db', db]);
  const d = openDatabase(db);
  for (const r of d.prepare('SELECT sha256, path FROM specimens').all() as { sha256: string; path: string }[]) shas.set(path.basename(r.path), r.sha256);
  d.close();
});

test('exclude by path and sha256 prefix, as one operation that undo and redo revert and re-apply', async () => {
  const out = await ok(['exclude', path.join(photos, 'quartz', 'quartz-0.jpg'), shas.get('pyrite-1.jpg')!.slice(0, 10), '--reason', 'a bead', '--db', db]);
  assert.match(out, /^2 photos excluded \(operation \d+; orelab undo reverts it\)\n$/);
  assert.deepEqual(excludedPaths(), ['pyrite-1.jpg', 'quartz-0.jpg']);
  const s = await stats();
  assert.equal(s.excluded, 2);
  assert.equal(s.labeled, 6);
  assert.match(await ok(['stats', '--db', db]), /6 labeled in 2 classes, 0 unlabeled, 2 excluded;/);

  const undo = await ok(['undo', '--db', db]);
  assert.match(undo, /undo operation \d+ "exclude 2 photos \(a bead\)" \(manual, exclude, .*\): 2 photos will be included in training and evaluation again\./);
  assert.match(undo, /undid "exclude 2 photos \(a bead\)": 2 photos included again\n$/);
  assert.deepEqual(excludedPaths(), []);
  assert.match(await ok(['redo', '--db', db]), /redid "exclude 2 photos \(a bead\)": 2 photos excluded\n$/);
  assert.deepEqual(excludedPaths(), ['pyrite-1.jpg', 'quartz-0.jpg']);

  // include, with --json, then its undo.
  const inc = JSON.parse(await ok(['include', path.join(photos, 'quartz', 'quartz-0.jpg'), '--db', db, '--json'])) as ExcludeByReferenceResult;
  assert.equal(inc.changed, 1);
  assert.equal(inc.unchanged, 0);
  assert.equal(inc.requested, 1);
  assert.deepEqual(inc.specimens, [{ id: inc.specimens[0]!.id, sha256: shas.get('quartz-0.jpg'), path: path.join(photos, 'quartz', 'quartz-0.jpg'), changed: true }]);
  assert.deepEqual(excludedPaths(), ['pyrite-1.jpg']);
  const undoInclude = JSON.parse(await ok(['undo', '--db', db, '--json'])) as { kind: string; summary: string; opId: number };
  assert.equal(undoInclude.kind, 'include');
  assert.equal(undoInclude.opId, inc.opId);
  assert.equal(undoInclude.summary, '1 photo excluded');
  assert.deepEqual(excludedPaths(), ['pyrite-1.jpg', 'quartz-0.jpg']);
  // Leave the catalogue as it began for the next test.
  await ok(['include', shas.get('pyrite-1.jpg')!, shas.get('quartz-0.jpg')!, '--db', db]);
});

test('an already-excluded photo is a no-op that says so; --json counts it as unchanged', async () => {
  await ok(['exclude', shas.get('quartz-2.jpg')!, '--db', db]);
  const again = await ok(['exclude', shas.get('quartz-2.jpg')!, '--db', db]);
  assert.equal(again, `already excluded: ${shas.get('quartz-2.jpg')!.slice(0, 12)} ${path.join(photos, 'quartz', 'quartz-2.jpg')}\nnothing to exclude: the photo was already excluded\n`);
  const mixed = JSON.parse(await ok(['exclude', shas.get('quartz-2.jpg')!, shas.get('quartz-3.jpg')!, '--db', db, '--json'])) as ExcludeByReferenceResult;
  assert.equal(mixed.changed, 1);
  assert.equal(mixed.unchanged, 1);
  assert.ok(mixed.opId > 0);
  assert.deepEqual(
    mixed.specimens.map((s) => [path.basename(s.path), s.changed]),
    [
      ['quartz-2.jpg', false],
      ['quartz-3.jpg', true],
    ],
  );
  const none = JSON.parse(await ok(['exclude', shas.get('quartz-3.jpg')!, '--db', db, '--json'])) as ExcludeByReferenceResult;
  assert.equal(none.opId, 0);
  assert.equal(none.changed, 0);
  // Including a photo that is not excluded is the same kind of no-op.
  assert.match(await ok(['include', shas.get('pyrite-0.jpg')!, '--db', db]), /nothing to include: the photo was already included\n$/);
  await ok(['include', shas.get('quartz-2.jpg')!, shas.get('quartz-3.jpg')!, '--db', db]);
  assert.deepEqual(excludedPaths(), []);
});

test('an unknown sha prefix or a path not in the catalogue is named, exit 1, and nothing is excluded', async () => {
  const stray = path.join(dir, 'not-imported.jpg');
  fs.writeFileSync(stray, await makeJpeg(99));
  const run = await runCliInProcess(['exclude', shas.get('pyrite-2.jpg')!.slice(0, 8), 'deadbeef00', stray, '--db', db]);
  assert.equal(run.status, 1);
  assert.equal(run.stdout, '');
  assert.match(run.stderr, /"deadbeef00" is neither a catalogued file nor a sha256 prefix/);
  assert.ok(run.stderr.includes(`"${stray}" is neither a catalogued file`), run.stderr);
  assert.match(run.stderr, /nothing was excluded/);
  assert.deepEqual(excludedPaths(), []);
});

test('usage errors exit 2', async () => {
  const none = await runCliInProcess(['exclude', '--db', db]);
  assert.equal(none.status, 2);
  assert.match(none.stderr, /name at least one specimen/);
  // include takes no reason: it is an unknown option there.
  const reason = await runCliInProcess(['include', shas.get('pyrite-0.jpg')!, '--reason', 'x', '--db', db]);
  assert.equal(reason.status, 2);
  assert.deepEqual(excludedPaths(), []);
});
