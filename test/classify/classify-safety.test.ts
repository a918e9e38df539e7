// Batch classification must never write outside the folders it was given, never damage a file it did not
// write, never move what the scanned folder does not own, and say truly what happened to each photo.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import crypto from 'node:crypto';
import type { ImportSummary } from '../../src/shared/domain';
import { parseCsv } from '../../src/main/jobs/classify/csv';
import { classifyFolder, type BatchClassifier } from '../../src/main/jobs/classify/classify';
import { insideRoot, placeFile } from '../../src/main/jobs/classify/place';
import { MAX_FILE_BYTES } from '../../src/main/jobs/import';
import { AUGREG_PREPROCESS } from '../../src/main/images/preprocess';
import { tempDir } from '../helpers/fs';
import { makeTinyClassifier } from '../helpers/model';
import { makeJpeg } from '../helpers/images';
import { parseJson, runOrelab } from '../helpers/cli';

const CLASSES = ['biotite', 'bornite', 'chrysocolla', 'malachite', 'muscovite', 'pyrite', 'quartz'];
const sha = (file: string) => crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');

// As root, file permissions do not stop writes; drop the capabilities that bypass them (as the import tests do).
const AS_UNPRIVILEGED = process.getuid?.() === 0 ? ['setpriv', '--bounding-set=-dac_override,-dac_read_search', '--inh-caps=-dac_override,-dac_read_search'] : [];

/** Every entry under `dir` that is not a folder, by lstat (a dangling link is listed too, not followed). */
function entriesUnder(dir: string): { path: string; link: boolean }[] {
  if (!fs.existsSync(dir)) return [];
  const out: { path: string; link: boolean }[] = [];
  for (const name of fs.readdirSync(dir)) {
    const p = path.join(dir, name);
    const st = fs.lstatSync(p);
    if (st.isDirectory()) out.push(...entriesUnder(p));
    else out.push({ path: p, link: st.isSymbolicLink() });
  }
  return out;
}

interface SummaryJson {
  classified: number;
  resumed: number;
  errors: { path: string; reason: string }[];
  files: { predictions: string; errors: string } | null;
  copiedNotMoved: string[];
}

/** The predictions CSV as rows of named cells. */
function readRows(file: string): Record<string, string>[] {
  const [header, ...rows] = parseCsv(fs.readFileSync(file, 'utf8'));
  return rows.map((r) => Object.fromEntries(header!.map((h, i) => [h, r[i]!])));
}

async function photoFolder(root: string, count: number): Promise<string[]> {
  fs.mkdirSync(root, { recursive: true });
  const files: string[] = [];
  for (let i = 0; i < count; i++) {
    const f = path.join(root, `p${i}.jpg`);
    fs.writeFileSync(f, await makeJpeg(i + 1));
    files.push(f);
  }
  return files;
}

test('class names such as ".." and "../../x" never sort a photo out of the sorting folder (--move)', async () => {
  const dir = tempDir();
  const photos = path.join(dir, 'photos');
  const originals = await photoFolder(photos, 3);
  const shas = new Set(originals.map(sha));
  const outer = path.join(dir, 'out');
  const sortRoot = path.join(outer, 'deep', 'sorted');
  const classes = ['..', '../../x', 'quartz'];
  // A model-independent classifier: photo number n (in the order it reaches the model) gets class n mod 3,
  // so each class is predicted exactly once whatever order the photos are decoded in.
  let next = 0;
  const classifier: BatchClassifier = {
    modelId: 'path-classes-test',
    classes,
    preprocessing: { ...AUGREG_PREPROCESS, size: 32 },
    maxBatch: 4,
    classify(_images, count) {
      const probabilities = new Float32Array(count * classes.length);
      for (let i = 0; i < count; i++) probabilities[i * classes.length + (next++ % classes.length)] = 1;
      return Promise.resolve(probabilities);
    },
    catalogueRecord: () => ({ id: 'path-classes-test', path: '/nowhere.onnx', runId: null, name: 'test', classes: [...classes], metadata: {} }),
  };
  const csv = path.join(dir, 'reports', 'r.csv');
  const summary = await classifyFolder({ folder: photos, classifier, csv, sortInto: { dir: sortRoot, mode: 'move' } });
  assert.equal(summary.classified, 3);

  // Only the photo predicted "quartz" left the source, into sorted/quartz; nothing else was written under out/.
  const sorted = entriesUnder(outer);
  assert.equal(sorted.length, 1, JSON.stringify(sorted));
  assert.equal(path.dirname(sorted[0]!.path), path.join(sortRoot, 'quartz'));
  assert.deepEqual(fs.readdirSync(path.join(outer, 'deep')), ['sorted']);
  assert.ok(!fs.existsSync(path.join(outer, 'x')) && !fs.existsSync(path.join(dir, 'x')));
  const left = entriesUnder(photos).map((e) => e.path);
  assert.equal(left.length, 2);
  assert.deepEqual(new Set([...left, sorted[0]!.path].map(sha)), shas, 'every photo is at its source or in the sorting folder');

  assert.equal(summary.errors.length, 2);
  for (const e of summary.errors) {
    assert.ok(left.includes(e.path), e.path);
    assert.match(e.reason, /^classified as "(\.\.|\.\.\/\.\.\/x)", but not sorted: its folder .* is not inside the sorting folder .*; the photo was left where it is$/);
  }
  const rows = readRows(csv);
  assert.equal(rows.length, 3);
  for (const r of rows) assert.equal(r['sorted_to'], r['predicted'] === 'quartz' ? path.join(sortRoot, 'quartz') : '');
});

test('placeFile itself refuses a folder or name outside the sorting root before touching anything', async () => {
  const dir = tempDir();
  const root = path.join(dir, 'sorted');
  fs.mkdirSync(root);
  const src = path.join(dir, 'in', 'photo.jpg');
  fs.mkdirSync(path.dirname(src));
  fs.writeFileSync(src, 'photo bytes');
  const digest = sha(src);
  for (const dest of [path.join(root, '..'), path.join(root, 'a', '..', '..', 'x'), root]) {
    await assert.rejects(placeFile(src, digest, dest, 'move', { sortRoot: root }), /is not inside the sorting folder .*; .*photo\.jpg was left where it is/);
  }
  assert.equal(fs.readFileSync(src, 'utf8'), 'photo bytes');
  assert.deepEqual(fs.readdirSync(dir).sort(), ['in', 'sorted']);
  assert.deepEqual(fs.readdirSync(root), []);
  assert.ok(insideRoot(root, path.join(root, '..quartz')), 'a name that merely starts with two dots is inside');
  assert.ok(!insideRoot(root, `${root}-other`), 'a sibling whose name extends the root is outside');
});

test('--csv naming a file Orelab did not write is refused, named, and left byte for byte as it was', async () => {
  const dir = tempDir();
  const model = makeTinyClassifier(dir, CLASSES);
  const photos = path.join(dir, 'photos');
  await photoFolder(photos, 2);
  const noStackTrace = /\n\s+at /;

  const notes = path.join(dir, 'notes.csv');
  const notesBytes = Buffer.from('Sample 17, found near the creek.\nLooks like pyrite.\n');
  fs.writeFileSync(notes, notesBytes);
  const refused = runOrelab(['classify', photos, '--model', model, '--csv', notes]);
  assert.equal(refused.status, 1, refused.stderr);
  assert.deepEqual(fs.readFileSync(notes), notesBytes);
  assert.doesNotMatch(refused.stderr, noStackTrace);
  assert.ok(refused.stderr.includes(notes), refused.stderr);
  assert.match(refused.stderr, /choose another --csv file name/);

  // A real report, re-saved with LF line ends (as a spreadsheet or an editor might), is not Orelab's any more.
  const report = path.join(dir, 'report.csv');
  assert.equal(runOrelab(['classify', photos, '--model', model, '--csv', report]).status, 0);
  const lf = path.join(dir, 'report-lf.csv');
  const lfBytes = Buffer.from(fs.readFileSync(report, 'utf8').replace(/\r\n/g, '\n'));
  fs.writeFileSync(lf, lfBytes);
  const refusedLf = runOrelab(['classify', photos, '--model', model, '--csv', lf]);
  assert.equal(refusedLf.status, 1, refusedLf.stderr);
  assert.deepEqual(fs.readFileSync(lf), lfBytes);
  assert.doesNotMatch(refusedLf.stderr, noStackTrace);
  assert.ok(refusedLf.stderr.includes(lf), refusedLf.stderr);
  assert.deepEqual(fs.readdirSync(dir).filter((f) => f.startsWith('report-lf')), ['report-lf.csv'], 'no sibling reports were written either');

  // The untouched report itself resumes: nothing is classified again, nothing added.
  const reportBytes = fs.readFileSync(report);
  const resumed = runOrelab(['classify', photos, '--model', model, '--csv', report, '--json']);
  assert.equal(resumed.status, 0, resumed.stderr);
  assert.equal(parseJson<SummaryJson>(resumed).resumed, 2);
  assert.deepEqual(fs.readFileSync(report), reportBytes);
});

test('a half-written last row of a real report is dropped on resume, and that photo is classified again', async () => {
  const dir = tempDir();
  const model = makeTinyClassifier(dir, CLASSES);
  const photos = path.join(dir, 'photos');
  await photoFolder(photos, 3);
  const report = path.join(dir, 'report.csv');
  assert.equal(runOrelab(['classify', photos, '--model', model, '--csv', report]).status, 0);
  const full = fs.readFileSync(report);
  const lastRowStart = full.subarray(0, full.length - 2).lastIndexOf('\r\n') + 2;
  const cutPath = readRows(report)[2]!['path'];
  // A kill in the middle of writing the last row.
  fs.writeFileSync(report, full.subarray(0, lastRowStart + Math.floor((full.length - lastRowStart) / 2)));

  const run = runOrelab(['classify', photos, '--model', model, '--csv', report, '--json']);
  assert.equal(run.status, 0, run.stderr);
  const summary = parseJson<SummaryJson>(run);
  assert.deepEqual([summary.classified, summary.resumed], [1, 2]);
  const text = fs.readFileSync(report, 'utf8');
  assert.ok(text.endsWith('\r\n'));
  const [header, ...rows] = parseCsv(text);
  assert.equal(rows.length, 3);
  for (const r of rows) assert.equal(r.length, header!.length);
  assert.equal(new Set(rows.map((r) => r[0])).size, 3);
  assert.equal(rows[2]![0], cutPath, 'the cut photo got its row back');
  assert.deepEqual(fs.readdirSync(dir).filter((f) => f.endsWith('.tmp')), [], 'no temp file left over');
});

test('symlinked photos are sorted by copying their target, even with --move: no link moved, none left dangling', async () => {
  const dir = tempDir();
  const model = makeTinyClassifier(dir, CLASSES);
  const photos = path.join(dir, 'photos');
  const elsewhere = path.join(dir, 'elsewhere');
  const linkedFolder = path.join(dir, 'linked-folder');
  const [own] = await photoFolder(photos, 1);
  fs.mkdirSync(elsewhere);
  fs.mkdirSync(linkedFolder);
  const relTarget = path.join(elsewhere, 'rel.jpg');
  const absTarget = path.join(elsewhere, 'abs.jpg');
  const viaFolder = path.join(linkedFolder, 'via-folder.jpg');
  fs.writeFileSync(relTarget, await makeJpeg(11));
  fs.writeFileSync(absTarget, await makeJpeg(12));
  fs.writeFileSync(viaFolder, await makeJpeg(13));
  const targets = [relTarget, absTarget, viaFolder];
  const targetBytes = targets.map((t) => fs.readFileSync(t));
  fs.symlinkSync(path.join('..', 'elsewhere', 'rel.jpg'), path.join(photos, 'rel-link.jpg'));
  fs.symlinkSync(absTarget, path.join(photos, 'abs-link.jpg'));
  fs.symlinkSync(linkedFolder, path.join(photos, 'linked'));
  const ownSha = sha(own!);

  const out = path.join(dir, 'sorted');
  const run = runOrelab(['classify', photos, '--model', model, '--sort-into', out, '--move', '--json']);
  assert.equal(run.status, 0, run.stderr);
  const summary = parseJson<SummaryJson>(run);
  assert.deepEqual(summary.errors, []);
  assert.equal(summary.classified, 4);
  assert.deepEqual(summary.copiedNotMoved, ['abs-link.jpg', 'linked/via-folder.jpg', 'rel-link.jpg'].map((p) => path.join(photos, p)), 'the summary names the photos copied instead of moved');

  // The link targets stay where they were, unchanged; the photo the folder holds itself was moved.
  targets.forEach((t, i) => assert.deepEqual(fs.readFileSync(t), targetBytes[i], t));
  assert.ok(!fs.existsSync(own!));
  // The sorted folder holds four real files (no links, so none can dangle) with the photos' bytes.
  const sorted = entriesUnder(out);
  assert.equal(sorted.length, 4);
  for (const e of sorted) assert.equal(e.link, false, `${e.path} is a link`);
  assert.deepEqual(new Set(sorted.map((e) => sha(e.path))), new Set([ownSha, ...targets.map(sha)]));
  assert.deepEqual(
    sorted.map((e) => path.basename(e.path)).sort(),
    ['abs-link.jpg', 'p0.jpg', 'rel-link.jpg', 'via-folder.jpg'],
  );
  // The links themselves are left as they were (they belong to the folder, their photos do not).
  assert.equal(fs.readlinkSync(path.join(photos, 'rel-link.jpg')), path.join('..', 'elsewhere', 'rel.jpg'));
  assert.equal(fs.readlinkSync(path.join(photos, 'abs-link.jpg')), absTarget);
});

test('a file over the import size cap is reported with the import\'s words, without being read, and the run goes on', async () => {
  const dir = tempDir();
  const model = makeTinyClassifier(dir, CLASSES);
  const photos = path.join(dir, 'photos');
  const [good] = await photoFolder(photos, 1);
  const huge = path.join(photos, 'huge.jpg');
  fs.writeFileSync(huge, '');
  // Sparse: just over the cap on paper, no disk space used.
  fs.truncateSync(huge, MAX_FILE_BYTES + 1);

  const run = runOrelab(['classify', photos, '--model', model, '--csv', path.join(dir, 'r.csv'), '--json']);
  assert.equal(run.status, 0, run.stderr);
  const summary = parseJson<SummaryJson>(run);
  assert.equal(summary.classified, 1);
  assert.equal(summary.errors.length, 1);
  assert.equal(summary.errors[0]!.path, huge);
  assert.match(summary.errors[0]!.reason, /^file too large \(\d+ MiB; the limit is \d+ MiB\)$/);
  assert.equal(readRows(path.join(dir, 'r.csv'))[0]!['path'], good);

  // The very same reason as `orelab import` gives for that file.
  const imported = runOrelab(['import', photos, '--db', path.join(dir, 'c.sqlite'), '--json']);
  assert.equal(imported.status, 0, imported.stderr);
  const importReason = parseJson<ImportSummary>(imported).errors.find((e) => e.path === huge)?.reason;
  assert.equal(summary.errors[0]!.reason, importReason);
});

test('photos with the same bytes at different paths each get exactly one CSV row on resume', async () => {
  const dir = tempDir();
  const model = makeTinyClassifier(dir, CLASSES);
  const photos = path.join(dir, 'photos');
  const [first] = await photoFolder(photos, 1);
  const report = path.join(dir, 'report.csv');
  assert.equal(runOrelab(['classify', photos, '--model', model, '--csv', report]).status, 0);
  assert.equal(readRows(report).length, 1);

  // The second copy arrives after the first run (as after a kill between the two).
  const second = path.join(photos, 'sub', 'copy of p0.jpg');
  fs.mkdirSync(path.dirname(second));
  fs.copyFileSync(first!, second);
  const run = runOrelab(['classify', photos, '--model', model, '--csv', report, '--json']);
  assert.equal(run.status, 0, run.stderr);
  const summary = parseJson<SummaryJson>(run);
  assert.equal(summary.classified + summary.resumed, 2);
  const rows = readRows(report);
  assert.deepEqual(rows.map((r) => r['path']).sort(), [first, second].sort());
  assert.equal(rows[0]!['sha256'], rows[1]!['sha256']);
  assert.equal(rows[0]!['p_quartz'], rows[1]!['p_quartz'], 'the duplicate reuses the probabilities of its bytes');

  // Predictions only the catalogue holds count as done, but a new CSV still gets a row for every path.
  const db = path.join(dir, 'c.sqlite');
  assert.equal(runOrelab(['classify', photos, '--model', model, '--db', db]).status, 0);
  const fresh = path.join(dir, 'fresh.csv');
  const fromCatalogue = parseJson<SummaryJson>(runOrelab(['classify', photos, '--model', model, '--db', db, '--csv', fresh, '--json']));
  assert.deepEqual([fromCatalogue.classified, fromCatalogue.resumed], [0, 2]);
  assert.deepEqual(readRows(fresh).map((r) => r['path']).sort(), [first, second].sort());
});

test('--move from a folder where the original cannot be deleted says the photo was copied and must be removed by hand', async () => {
  const dir = tempDir();
  const model = makeTinyClassifier(dir, CLASSES);
  const photos = path.join(dir, 'photos');
  const [photo] = await photoFolder(photos, 1);
  const bytes = fs.readFileSync(photo!);
  fs.chmodSync(photos, 0o555);
  const out = path.join(dir, 'sorted');
  const run = runOrelab(['classify', photos, '--model', model, '--sort-into', out, '--move', '--json'], { prefix: AS_UNPRIVILEGED });
  fs.chmodSync(photos, 0o755);
  assert.equal(run.status, 0, run.stderr);
  const summary = parseJson<SummaryJson>(run);
  assert.equal(summary.classified, 1);
  const sorted = entriesUnder(out);
  assert.equal(sorted.length, 1);
  assert.deepEqual(fs.readFileSync(sorted[0]!.path), bytes);
  assert.deepEqual(fs.readFileSync(photo!), bytes, 'the original is still there');
  assert.equal(summary.errors.length, 1);
  assert.equal(
    summary.errors[0]!.reason,
    `classified and copied to ${sorted[0]!.path}, but the original could not be removed (EACCES: permission denied in the source folder); remove it by hand`,
  );
});
