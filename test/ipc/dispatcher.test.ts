// The dispatcher over the real services: request validation, every channel family, jobs with events.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { REQUESTS, EVENTS } from '../../src/shared/ipc';
import { inverseFrequencyWeights } from '../../src/shared/weights';
import { expectError, jobOf, openTestCore, photoFolder, type TestCore } from './helpers';

let t: TestCore;
let photos: string;
const CLASSES = { biotite: 4, muscovite: 3, quartz: 5 };
const TOTAL = 12;

before(async () => {
  t = openTestCore();
  photos = photoFolder(t.dir, CLASSES);
  fs.writeFileSync(path.join(photos, 'README.txt'), 'not an image');
  const { job } = await t.call('jobs.start', { kind: 'import', params: { folder: photos, labelsFromFolders: true } });
  const done = await t.finished(job.id);
  assert.equal(done.status, 'completed', done.error ?? '');
});
after(() => t.close());

test('invalid payloads are refused with a zod error that names the field', async () => {
  const wrongType = expectError(await t.core.handleRequest('labels.assign', { specimenIds: 'all', classId: 1 }));
  assert.equal(wrongType.code, 'invalid-request');
  assert.match(wrongType.message, /labels\.assign/);
  assert.match(wrongType.message, /specimenIds: Invalid input: expected array, received string/);
  assert.deepEqual(wrongType.issues?.map((i) => i.path), ['specimenIds']);

  const nested = expectError(await t.core.handleRequest('specimens.page', { filter: { split: 'training' }, offset: 0, limit: 10 }));
  assert.match(nested.message, /filter\.split/);

  const extra = expectError(await t.core.handleRequest('classes.add', { name: 'galena', colour: 'grey' }));
  assert.match(extra.message, /colour/);

  const missing = expectError(await t.core.handleRequest('specimens.get', {}));
  assert.match(missing.message, /id: Invalid input: expected number/);

  const negative = expectError(await t.core.handleRequest('specimens.page', { filter: {}, offset: -1, limit: 10 }));
  assert.match(negative.message, /offset/);

  const badKind = expectError(await t.core.handleRequest('jobs.start', { kind: 'export', params: {} }));
  assert.equal(badKind.code, 'invalid-request');
  assert.match(badKind.message, /kind/);
  const emptyTrain = expectError(await t.core.handleRequest('jobs.start', { kind: 'train', params: {} }));
  assert.match(emptyTrain.message, /params\.outDir: Invalid input: expected string/);

  const notAnObject = expectError(await t.core.handleRequest('classes.add', 'galena'));
  assert.equal(notAnObject.code, 'invalid-request');

  const unknown = expectError(await t.core.handleRequest('catalogue.drop', {}));
  assert.equal(unknown.code, 'unknown-channel');
  // A refused request changed nothing.
  assert.equal((await t.call('classes.list', {})).classes.length, 3);
});

test('every request and event channel has schemas (the contract is complete)', () => {
  for (const [name, spec] of Object.entries(REQUESTS)) {
    assert.ok(spec.request && spec.response, name);
  }
  assert.deepEqual(Object.keys(EVENTS).sort(), ['catalogue.changed', 'job.finished', 'job.progress', 'menu.command']);
});

test('the import job streamed progress events and its result, and the catalogue has the photos', async () => {
  const progress = t.events.filter((m) => m.event === 'job.progress');
  assert.ok(progress.length >= 1);
  const last = progress.at(-1)!;
  assert.equal(last.event === 'job.progress' && last.payload.kind === 'import' && last.payload.progress.done, TOTAL);
  const finished = t.events.find((m) => m.event === 'job.finished');
  assert.ok(finished && finished.event === 'job.finished');
  const imported = jobOf('import', finished.payload).result;
  assert.ok(imported);
  assert.equal(imported.new, TOTAL);
  assert.equal(imported.skippedNonImage, 1);
  const { classes } = await t.call('classes.list', {});
  assert.deepEqual(Object.fromEntries(classes.map((c) => [c.name, c.count])), CLASSES);
  const { jobs } = await t.call('jobs.list', {});
  assert.equal(jobs[0]?.status, 'completed');
});

test('a job is refused before it exists when its folder does not exist', async () => {
  const before = (await t.call('jobs.list', {})).jobs.length;
  const err = expectError(await t.core.handleRequest('jobs.start', { kind: 'import', params: { folder: path.join(t.dir, 'nope') } }));
  assert.equal(err.code, 'not-found');
  assert.match(err.message, /nope: no such folder/);
  assert.equal((await t.call('jobs.list', {})).jobs.length, before);
});

test('cancelling an import stops it and reports it cancelled', async () => {
  const other = openTestCore();
  try {
    const folder = photoFolder(other.dir, { bornite: 6 });
    const { job } = await other.call('jobs.start', { kind: 'import', params: { folder, labelsFromFolders: true } });
    assert.equal(job.status, 'running');
    assert.deepEqual(await other.call('jobs.cancel', { jobId: job.id }), { cancelled: true });
    const done = jobOf('import', await other.finished(job.id));
    assert.equal(done.status, 'cancelled');
    assert.equal(done.result?.cancelled, true);
    assert.ok((done.result?.new ?? 0) < 6);
    assert.deepEqual(await other.call('jobs.cancel', { jobId: job.id }), { cancelled: false });
  } finally {
    await other.close();
  }
});

test('pages of specimens: windowed, ordered by id, filtered', async () => {
  const all = await t.call('specimens.page', { filter: {}, offset: 0, limit: 5 });
  assert.equal(all.total, TOTAL);
  assert.equal(all.items.length, 5);
  const rest = await t.call('specimens.page', { filter: {}, offset: 5, limit: 100 });
  assert.equal(rest.items.length, TOTAL - 5);
  const ids = [...all.items, ...rest.items].map((s) => s.id);
  assert.deepEqual(ids, [...ids].sort((a, b) => a - b));
  assert.equal(new Set(ids).size, TOTAL);

  const { classes } = await t.call('classes.list', {});
  const quartz = classes.find((c) => c.name === 'quartz')!;
  const q = await t.call('specimens.page', { filter: { classIds: [quartz.id] }, offset: 0, limit: 100 });
  assert.equal(q.total, 5);
  assert.ok(q.items.every((s) => s.label === 'quartz' && s.labelClassId === quartz.id));
  assert.equal((await t.call('specimens.page', { filter: { unlabeled: true }, offset: 0, limit: 100 })).total, 0);
  assert.equal((await t.call('specimens.page', { filter: { split: 'unassigned' }, offset: 0, limit: 100 })).total, TOTAL);

  const idRange = await t.call('specimens.ids', { filter: {}, offset: 2, limit: 3 });
  assert.deepEqual(idRange.ids, ids.slice(2, 5));
  assert.equal(idRange.total, TOTAL);
});

test('detail and metadata edits; search by sample code', async () => {
  const [first] = (await t.call('specimens.page', { filter: {}, offset: 0, limit: 1 })).items;
  const detail = await t.call('specimens.get', { id: first!.id });
  assert.equal(detail.specimen.id, first!.id);
  assert.equal(detail.history.length, 1);
  assert.equal(detail.history[0]!.source, 'folder');
  assert.deepEqual(detail.predictions, []);
  assert.deepEqual(detail.attention, [], 'no MA-ViT model yet: no attention map to offer');

  const { specimen } = await t.call('specimens.update', { id: first!.id, patch: { sampleCode: '  BT-0042 ', site: 'Pit 3', notes: '' } });
  assert.equal(specimen.sampleCode, 'BT-0042');
  assert.equal(specimen.site, 'Pit 3');
  assert.equal(specimen.notes, null);
  const found = await t.call('specimens.page', { filter: { sampleCode: 'bt-00' }, offset: 0, limit: 10 });
  assert.deepEqual(
    found.items.map((s) => s.id),
    [first!.id],
  );
  assert.equal((await t.call('specimens.page', { filter: { sampleCode: '%' }, offset: 0, limit: 10 })).total, 0);
  assert.equal(expectError(await t.core.handleRequest('specimens.get', { id: 99999 })).code, 'not-found');
});

test('label, bulk label, last op and undo', async () => {
  const { classes } = await t.call('classes.list', {});
  const byName = Object.fromEntries(classes.map((c) => [c.name, c]));
  const biotite = (await t.call('specimens.page', { filter: { classIds: [byName.biotite!.id] }, offset: 0, limit: 10 })).items;
  const one = await t.call('labels.assign', { specimenIds: [biotite[0]!.id], classId: byName.quartz!.id });
  assert.equal(one.changed, 1);
  const bulk = await t.call('labels.assign', { specimenIds: [biotite[1]!.id, biotite[2]!.id, biotite[0]!.id], classId: byName.muscovite!.id });
  assert.equal(bulk.changed, 3);
  assert.equal((await t.call('labels.lastOp', {})).op?.description, 'label 3 as muscovite');
  let counts = Object.fromEntries((await t.call('classes.list', {})).classes.map((c) => [c.name, c.count]));
  assert.deepEqual(counts, { biotite: 1, muscovite: 6, quartz: 5 });

  const undone = await t.call('labels.undo', {});
  assert.equal(undone.undone?.reverted, 3);
  counts = Object.fromEntries((await t.call('classes.list', {})).classes.map((c) => [c.name, c.count]));
  assert.deepEqual(counts, { biotite: 3, muscovite: 3, quartz: 6 });
  await t.call('labels.undo', {});
  counts = Object.fromEntries((await t.call('classes.list', {})).classes.map((c) => [c.name, c.count]));
  assert.deepEqual(counts, CLASSES);
  const history = await t.call('specimens.get', { id: biotite[0]!.id });
  assert.deepEqual(
    history.history.map((h) => [h.from, h.to, h.source]),
    [
      [null, 'biotite', 'folder'],
      ['biotite', 'quartz', 'manual'],
      ['quartz', 'muscovite', 'manual'],
      ['muscovite', 'quartz', 'undo'],
      ['quartz', 'biotite', 'undo'],
    ],
  );
  // Clearing a label is a label operation too.
  const cleared = await t.call('labels.assign', { specimenIds: [biotite[0]!.id], classId: null });
  assert.equal(cleared.changed, 1);
  assert.equal((await t.call('specimens.page', { filter: { unlabeled: true }, offset: 0, limit: 10 })).total, 1);
  await t.call('labels.undo', {});
  assert.equal(expectError(await t.core.handleRequest('labels.assign', { specimenIds: [biotite[0]!.id], classId: 9999 })).code, 'conflict');
  assert.equal(expectError(await t.core.handleRequest('labels.assign', { specimenIds: [], classId: null })).code, 'invalid-request');
});

test('add, rename and merge classes (merge is undoable)', async () => {
  const { class: galena } = await t.call('classes.add', { name: 'galena' });
  assert.equal(galena.count, 0);
  assert.equal(expectError(await t.core.handleRequest('classes.add', { name: 'Galena' })).code, 'conflict');
  const renamed = await t.call('classes.rename', { classId: galena.id, name: 'galena (PbS)' });
  assert.equal(renamed.class.name, 'galena (PbS)');
  assert.equal(renamed.class.id, galena.id);
  const { classes } = await t.call('classes.list', {});
  const muscovite = classes.find((c) => c.name === 'muscovite')!;
  const merged = await t.call('classes.merge', { fromClassId: muscovite.id, intoClassId: galena.id });
  assert.equal(merged.moved, 3);
  let names = (await t.call('classes.list', {})).classes.map((c) => `${c.name}:${c.count}`);
  assert.deepEqual(names, ['biotite:4', 'galena (PbS):3', 'quartz:5']);
  await t.call('labels.undo', {});
  names = (await t.call('classes.list', {})).classes.map((c) => `${c.name}:${c.count}`);
  assert.deepEqual(names, ['biotite:4', 'galena (PbS):0', 'muscovite:3', 'quartz:5']);
  assert.equal(expectError(await t.core.handleRequest('classes.merge', { fromClassId: galena.id, intoClassId: galena.id })).code, 'conflict');
  assert.equal(expectError(await t.core.handleRequest('classes.rename', { classId: 9999, name: 'x' })).code, 'conflict');
});

test('statistics carry the paper weights; splits are assigned per class', async () => {
  const stats = await t.call('catalogue.stats', { beta: 0.9 });
  assert.equal(stats.beta, 0.9);
  const counts = stats.classes.map((c) => c.count);
  assert.deepEqual(
    stats.classes.map((c) => c.weightInverse),
    inverseFrequencyWeights(counts),
  );
  const biotite = stats.classes.find((c) => c.name === 'biotite')!;
  assert.equal(biotite.weightInverse, 12 / (stats.classCount * 4));
  assert.equal(stats.splits.unassigned, TOTAL);

  const split = await t.call('splits.assign', { seed: 3, ratios: { train: 2, val: 1, test: 1 } });
  assert.equal(split.assigned, TOTAL);
  assert.equal(split.seed, 3);
  const after = await t.call('catalogue.stats', {});
  assert.equal(after.splits.unassigned, 0);
  assert.equal(after.splits.train + after.splits.val + after.splits.test, TOTAL);
  assert.equal((await t.call('specimens.page', { filter: { split: 'train' }, offset: 0, limit: 100 })).total, after.splits.train);
  assert.equal(expectError(await t.core.handleRequest('splits.assign', { seed: 1, ratios: { train: 0, val: 0, test: 0 } })).code, 'invalid-request');
});

test('prediction filters use the predictions table (mismatch, confidence range)', async () => {
  assert.deepEqual((await t.call('predictions.models', {})).models, []);
  assert.equal((await t.call('specimens.page', { filter: { mismatch: true }, offset: 0, limit: 100 })).total, 0);
  // Rows as a model run would write them (the classifier lands later).
  const db = new Database(t.dbPath);
  const items = (await t.call('specimens.page', { filter: {}, offset: 0, limit: 100 })).items;
  db.prepare("INSERT INTO models (id, path, name, classes, metadata, created_at) VALUES ('m1', '/m1.onnx', 'run 1', '[]', '{}', '2025-01-01T00:00:00Z')").run();
  const insert = db.prepare('INSERT INTO predictions (model_id, specimen_id, predicted_class, confidence, probabilities, loss, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)');
  items.forEach((s, i) => insert.run('m1', s.id, i < 3 ? 'quartz' : s.label, i < 3 ? 0.55 : 0.95, JSON.stringify({ quartz: 0.5 }), 0.1, '2025-01-02T00:00:00Z'));
  db.close();

  const mismatched = await t.call('specimens.page', { filter: { mismatch: true }, offset: 0, limit: 100 });
  const expected = items.slice(0, 3).filter((s) => s.label !== 'quartz').map((s) => s.id);
  assert.deepEqual(
    mismatched.items.map((s) => s.id),
    expected,
  );
  assert.ok(mismatched.items.every((s) => s.prediction?.predictedClass === 'quartz'));
  assert.equal((await t.call('specimens.page', { filter: { confidenceMax: 0.6 }, offset: 0, limit: 100 })).total, 3);
  assert.equal((await t.call('specimens.page', { filter: { confidenceMin: 0.9, confidenceMax: 1 }, offset: 0, limit: 100 })).total, TOTAL - 3);
  const models = (await t.call('predictions.models', {})).models;
  assert.deepEqual(
    models.map((m) => [m.id, m.predictions]),
    [['m1', TOTAL]],
  );
  const detail = await t.call('specimens.get', { id: items[0]!.id });
  assert.equal(detail.predictions[0]?.modelName, 'run 1');
  assert.deepEqual(detail.predictions[0]?.probabilities, { quartz: 0.5 });
});

test('catalogues: current, open, create; refused while a job runs', async () => {
  const other = openTestCore();
  try {
    const first = (await other.call('catalogue.current', {})).catalogue!;
    assert.equal(first.path, other.dbPath);
    const created = path.join(other.dir, 'second.sqlite');
    const opened = await other.call('catalogue.open', { path: created, create: true });
    assert.equal(opened.catalogue.specimens, 0);
    assert.notEqual(opened.catalogue.key, first.key);
    const changed = other.events.filter((m) => m.event === 'catalogue.changed');
    assert.equal(changed.length, 1);
    assert.equal(expectError(await other.core.handleRequest('catalogue.open', { path: created, create: true })).code, 'conflict');
    assert.equal(expectError(await other.core.handleRequest('catalogue.open', { path: path.join(other.dir, 'none.sqlite') })).code, 'not-found');
    const notDb = path.join(other.dir, 'notes.sqlite');
    fs.writeFileSync(notDb, 'this is a text file, not a database, and it is long enough to have a header'.repeat(20));
    const bad = expectError(await other.core.handleRequest('catalogue.open', { path: notDb }));
    assert.equal(bad.code, 'invalid-request');
    assert.match(bad.message, /not an Orelab catalogue/);
    // The failed open left the previous catalogue open.
    assert.equal((await other.call('catalogue.current', {})).catalogue?.path, created);

    const folder = photoFolder(other.dir, { pyrite: 3 });
    const { job } = await other.call('jobs.start', { kind: 'import', params: { folder, labelsFromFolders: false } });
    const busy = expectError(await other.core.handleRequest('catalogue.open', { path: other.dbPath }));
    assert.equal(busy.code, 'busy');
    const second = expectError(await other.core.handleRequest('jobs.start', { kind: 'import', params: { folder } }));
    assert.equal(second.code, 'busy');
    const done = jobOf('import', await other.finished(job.id));
    assert.equal(done.result?.new, 3);
    assert.equal((await other.call('specimens.page', { filter: { unlabeled: true }, offset: 0, limit: 10 })).total, 3);
    await other.call('catalogue.open', { path: other.dbPath });
  } finally {
    await other.close();
  }
});

test('no catalogue open: requests say so; the harness has no native dialogs', async () => {
  const other = openTestCore();
  other.core.session.close();
  try {
    assert.equal(expectError(await other.core.handleRequest('classes.list', {})).code, 'no-catalogue');
    assert.equal((await other.call('catalogue.current', {})).catalogue, null);
    assert.equal(expectError(await other.core.handleRequest('jobs.start', { kind: 'import', params: { folder: other.dir } })).code, 'no-catalogue');
    const info = await other.call('app.info', {});
    assert.deepEqual(info, { version: 'test', shell: 'harness', capabilities: { nativeDialogs: false } });
    assert.equal(expectError(await other.core.handleRequest('dialog.chooseFolder', {})).code, 'unavailable');
  } finally {
    await other.close();
  }
});
