// The channels and jobs behind the Training, Reports, Relabel and Batch classification pages, through the real
// dispatcher on a real catalogue of minerals7 photos: a real (tiny, random) MA-ViT exported by the engine,
// evaluated with ONNX Runtime; review decisions with undo; confusion cells; CSV files; batch classification.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { parseCsv } from '../../src/main/jobs/classify/csv';
import { METRICS_HEADER } from '../../src/main/jobs/classify/report';
import { makeTinyClassifier } from '../helpers/model';
import { expectError, jobOf, openTestCore, photoFolder, type TestCore } from './helpers';

let t: TestCore;
let modelId: string;
const CLASSES = { biotite: 6, muscovite: 6, quartz: 6 };

before(async () => {
  t = openTestCore();
  const photos = photoFolder(t.dir, CLASSES);
  const { job } = await t.call('jobs.start', { kind: 'import', params: { folder: photos, labelsFromFolders: true } });
  assert.equal((await t.finished(job.id)).status, 'completed');
  await t.call('splits.assign', { seed: 3, ratios: { train: 4, val: 1, test: 1 } });
  const file = makeTinyClassifier(t.dir, Object.keys(CLASSES), { seed: 5 });
  modelId = (await t.call('models.add', { path: file })).model.id;
});
after(() => t.close());

async function runJob(request: Parameters<TestCore['call']>[1] & object) {
  const { job } = await t.call('jobs.start', request as never);
  return t.finished(job.id);
}

test('invalid payloads of the new channels and job kinds are refused, naming the field', async () => {
  const cases: [string, unknown, RegExp][] = [
    ['relabel.apply', { modelId, specimenId: 1, action: 'delete' }, /action: Invalid option/],
    ['relabel.candidates', { modelId, rank: 'random' }, /rank: Invalid option/],
    ['relabel.candidates', { modelId, doubtfulBelow: 2 }, /doubtfulBelow: Too big/],
    ['reports.get', { modelId, scope: 'training' }, /scope: Invalid option/],
    ['reports.cell', { modelId, scope: 'test', trueClass: 'quartz' }, /predictedClass: Invalid input/],
    ['reports.exportCsv', { modelId, kind: 'pdf', path: '/tmp/x.csv' }, /kind: Invalid option/],
    ['attention.get', { specimenId: 'one', modelId }, /specimenId: Invalid input: expected number/],
    ['runs.get', { id: 0 }, /id: Too small/],
    ['models.add', { path: '' }, /path: path is empty/],
    ['files.openFolder', {}, /path: Invalid input/],
    ['jobs.start', { kind: 'train', params: { outDir: '/tmp/r', epochs: 2, batchSize: 4, lr: 1e-4, weightDecay: 0.01, seed: 0, imageSize: 40 } }, /params\.imageSize: image size must be a multiple of 16/],
    ['jobs.start', { kind: 'train', params: { outDir: '/tmp/r', epochs: 0, batchSize: 4, lr: 1e-4, weightDecay: 0.01, seed: 0 } }, /params\.epochs: Too small/],
    ['jobs.start', { kind: 'evaluate', params: { modelId, split: 'holdout' } }, /params\.split: Invalid option/],
    ['jobs.start', { kind: 'classify', params: { folder: t.dir, modelId, sortInto: { dir: '/tmp/s', mode: 'link' } } }, /params\.sortInto\.mode: Invalid option/],
    ['jobs.start', { kind: 'classify', params: { folder: t.dir, modelId, reviewBelow: 1.5 } }, /params\.reviewBelow: Too big/],
  ];
  for (const [channel, payload, message] of cases) {
    const err = expectError(await t.core.handleRequest(channel, payload));
    assert.equal(err.code, 'invalid-request', `${channel}: ${err.message}`);
    assert.match(err.message, message, channel);
  }
  assert.equal(expectError(await t.core.handleRequest('reports.get', { modelId: 'ffffffffffff', scope: 'all' })).code, 'not-found');
  const unknownClass = expectError(await t.core.handleRequest('reports.cell', { modelId, scope: 'all', trueClass: 'galena', predictedClass: 'quartz' }));
  assert.match(unknownClass.message, /no class "galena"/);
  const notModel = expectError(await t.core.handleRequest('models.add', { path: path.join(t.dir, 'catalogue.sqlite') }));
  assert.equal(notModel.code, 'invalid-request');
});

test('models: the added MA-ViT is listed with its classes, attention output and metadata', async () => {
  const { models } = await t.call('models.list', {});
  assert.equal(models.length, 1);
  assert.equal(models[0]!.id, modelId);
  assert.deepEqual(models[0]!.classes, Object.keys(CLASSES));
  assert.equal(models[0]!.variant, 'mavit');
  assert.equal(models[0]!.hasAttention, true);
  assert.equal(models[0]!.imageSize, 32);
  assert.equal(models[0]!.predictions, 0);
  const { metadata } = await t.call('models.get', { id: modelId.slice(0, 8) });
  assert.equal(metadata?.architecture.prefilter, 'cbam-residual');
  assert.equal(metadata?.format, 'orelab-classifier/2');
});

test('evaluate job on the test split → report, and each confusion cell lists exactly its specimens', async () => {
  const before = await t.call('reports.get', { modelId, scope: 'test' });
  assert.equal(before.labeled, 0);
  assert.equal(before.unpredicted, 3);

  const done = jobOf('evaluate', await runJob({ kind: 'evaluate', params: { modelId, split: 'test' } }));
  assert.equal(done.status, 'completed', done.error ?? '');
  const evaluated = done.result!;
  assert.equal(evaluated.report.confusion.flat().reduce((a, b) => a + b, 0), 3);

  const { report, labeled, unpredicted } = await t.call('reports.get', { modelId, scope: 'test' });
  assert.equal(labeled, 3);
  assert.equal(unpredicted, 0);
  assert.deepEqual(report.confusion, evaluated.report.confusion, 'the stored predictions give the evaluation report back');
  assert.deepEqual(report.per_class.map((c) => c.support), [1, 1, 1]);

  let listed = 0;
  for (const [i, trueClass] of report.classes.entries()) {
    for (const [j, predictedClass] of report.classes.entries()) {
      const cell = await t.call('reports.cell', { modelId, scope: 'test', trueClass, predictedClass });
      assert.equal(cell.total, report.confusion[i]![j], `${trueClass} → ${predictedClass}`);
      assert.equal(cell.items.length, cell.total);
      for (const item of cell.items) {
        assert.equal(item.label, trueClass);
        assert.equal(item.predictedClass, predictedClass);
        assert.equal(item.split, 'test');
        assert.equal(item.probabilities.length, 3);
        assert.ok(Math.abs(item.probabilities[j]! - item.confidence) < 1e-5);
        assert.ok(item.loss !== null && item.loss >= 0);
      }
      listed += cell.total;
    }
  }
  assert.equal(listed, 3);
  // Wider scopes see the same predictions here (only the test split has any yet).
  assert.equal((await t.call('reports.get', { modelId, scope: 'all' })).labeled, 3);
  assert.equal((await t.call('reports.get', { modelId, scope: 'train' })).labeled, 0);
});

test('CSV export writes what orelab export writes, from the stored predictions', async () => {
  const metricsFile = path.join(t.dir, 'metrics.csv');
  const r = await t.call('reports.exportCsv', { modelId, kind: 'metrics', scope: 'test', path: metricsFile });
  assert.equal(r.path, metricsFile);
  const rows = parseCsv(fs.readFileSync(metricsFile, 'utf8'));
  assert.deepEqual(rows[0], METRICS_HEADER);
  const { report } = await t.call('reports.get', { modelId, scope: 'test' });
  for (const c of report.per_class) {
    const row = rows.find((x) => x[0] === c.class);
    assert.ok(row, c.class);
    assert.ok(Math.abs(Number(row[rows[0]!.indexOf('recall')]) - c.recall) < 1e-9);
  }
  const predictionsFile = path.join(t.dir, 'predictions.csv');
  assert.equal((await t.call('reports.exportCsv', { modelId, kind: 'predictions', path: predictionsFile })).rows, 3);
  const predictions = parseCsv(fs.readFileSync(predictionsFile, 'utf8'));
  assert.deepEqual(predictions[0]!.filter((h) => h.startsWith('p_')), ['p_biotite', 'p_muscovite', 'p_quartz']);
  assert.equal(predictions.length, 4);

  const toFolder = expectError(await t.core.handleRequest('reports.exportCsv', { modelId, kind: 'metrics', path: t.dir }));
  assert.match(toFolder.message, /is a folder/);
  const noFolder = expectError(await t.core.handleRequest('reports.exportCsv', { modelId, kind: 'metrics', path: path.join(t.dir, 'nope', 'm.csv') }));
  assert.equal(noFolder.code, 'not-found');
});

test('relabel: accept, keep and flag are label operations in the history, leave the queue, and labels.undo reverts each', async () => {
  // Predictions for every labeled specimen, so that the queue has both kinds of candidates.
  for (const split of ['train', 'val'] as const) assert.equal((await runJob({ kind: 'evaluate', params: { modelId, split } })).status, 'completed');
  const all = await t.call('relabel.candidates', { modelId, doubtfulBelow: 1, limit: 500 });
  assert.equal(all.total, 18, 'below 100% confidence every prediction is doubtful');
  const byLoss = all.items.map((i) => i.loss!);
  assert.deepEqual(byLoss, [...byLoss].sort((a, b) => b - a), 'ranked by loss, highest first');
  const byConfidence = (await t.call('relabel.candidates', { modelId, rank: 'confidence', doubtfulBelow: 1, limit: 500 })).items.map((i) => i.confidence);
  assert.deepEqual(byConfidence, [...byConfidence].sort((a, b) => a - b), 'ranked by confidence, lowest first');
  const misclassified = await t.call('relabel.candidates', { modelId, doubtfulBelow: 0 });
  assert.ok(misclassified.items.every((i) => i.label !== i.predictedClass));
  const wrong = all.items.filter((i) => i.label !== i.predictedClass);
  assert.equal(misclassified.total, wrong.length);
  assert.ok(wrong.length > 0, 'a random model gets some wrong');
  const queueSize = async () => (await t.call('relabel.candidates', { modelId, doubtfulBelow: 1 })).total;

  // Accept: the label becomes the prediction (source 'model'), the specimen leaves the queue; undo brings both back.
  const target = wrong[0]!;
  const accepted = await t.call('relabel.apply', { modelId, specimenId: target.id, action: 'accept' });
  assert.equal(accepted.label, target.predictedClass);
  assert.match(accepted.description, new RegExp(`accept the prediction ${target.predictedClass} .* \\(was ${target.label}\\)`));
  let detail = await t.call('specimens.get', { id: target.id });
  assert.equal(detail.specimen.label, target.predictedClass);
  assert.deepEqual(
    detail.history.map((h) => [h.from, h.to, h.source]).at(-1),
    [target.label, target.predictedClass, 'model'],
  );
  assert.equal(await queueSize(), 17);
  assert.equal((await t.call('labels.lastOp', {})).op?.description, accepted.description);
  assert.equal((await t.call('labels.undo', {})).undone?.description, accepted.description);
  detail = await t.call('specimens.get', { id: target.id });
  assert.equal(detail.specimen.label, target.label);
  assert.equal(detail.history.at(-1)!.source, 'undo');
  assert.equal(await queueSize(), 18);

  // Keep: the label stays, the review is in the history (from = to), the specimen leaves the queue.
  const kept = await t.call('relabel.apply', { modelId, specimenId: target.id, action: 'keep' });
  assert.equal(kept.label, target.label);
  detail = await t.call('specimens.get', { id: target.id });
  assert.deepEqual([detail.history.at(-1)!.from, detail.history.at(-1)!.to, detail.history.at(-1)!.description], [target.label, target.label, kept.description]);
  assert.equal(await queueSize(), 17);
  assert.equal((await t.call('relabel.candidates', { modelId, doubtfulBelow: 1, limit: 500 })).items.some((i) => i.id === target.id), false);
  await t.call('labels.undo', {});
  assert.equal(await queueSize(), 18);

  // Flag: the expert flag is set; undo clears it again.
  const other = all.items[1]!;
  assert.equal(other.flagged, false);
  await t.call('relabel.apply', { modelId, specimenId: other.id, action: 'flag' });
  assert.equal((await t.call('specimens.get', { id: other.id })).specimen.flagged, true);
  assert.equal(await queueSize(), 17);
  assert.match((await t.call('labels.undo', {})).undone?.description ?? '', /^flag .* for an expert/);
  assert.equal((await t.call('specimens.get', { id: other.id })).specimen.flagged, false);
  assert.equal(await queueSize(), 18);

  const noPrediction = expectError(await t.core.handleRequest('relabel.apply', { modelId, specimenId: 999_999, action: 'keep' }));
  assert.equal(noPrediction.code, 'not-found');
});

test('attention.get: the CBAM map of the model input, and the crop it covers', async () => {
  const specimen = (await t.call('specimens.page', { filter: {}, offset: 0, limit: 1 })).items[0]!;
  const detail = await t.call('specimens.get', { id: specimen.id });
  assert.deepEqual(detail.attention.map((m) => m.id), [modelId]);
  const a = await t.call('attention.get', { specimenId: specimen.id, modelId });
  assert.equal(a.size, 32);
  assert.equal(a.gate.length, 32 * 32);
  // The applied gate 2σ(z) of the residual CBAM, whose last layers start at zero: exactly 1 (no change) everywhere.
  assert.equal(a.prefilter, 'cbam-residual');
  assert.ok(a.gate.every((v) => v === 1), 'an untrained residual gate is the identity, sent as 1 (not as σ = 0.5)');
  assert.equal(a.channelGate, false);
  for (const v of [a.crop.left, a.crop.top]) assert.ok(v >= 0 && v < 0.5);
  for (const v of [a.crop.width, a.crop.height]) assert.ok(v > 0.5 && v <= 1);
  assert.ok(Object.keys(CLASSES).includes(a.predictedClass));
  // The same photo gives the same map (the classifier is cached, the input is deterministic).
  assert.deepEqual((await t.call('attention.get', { specimenId: specimen.id, modelId })).gate, a.gate);
});

test('classify job: a folder of class folders → counts, accuracy, CSV files, photos sorted by copy', async () => {
  const folder = photoFolder(path.join(t.dir, 'batch'), { quartz: 2, biotite: 2 });
  fs.copyFileSync(path.join(folder, 'quartz', fs.readdirSync(path.join(folder, 'quartz'))[0]!), path.join(folder, 'loose.jpg'));
  fs.writeFileSync(path.join(folder, 'broken.jpg'), 'not a jpeg');
  const out = path.join(t.dir, 'batch-out');
  const csv = path.join(out, 'predictions.csv');
  const done = jobOf(
    'classify',
    await runJob({ kind: 'classify', params: { folder, modelId, csv, sortInto: { dir: path.join(out, 'sorted'), mode: 'copy' }, reviewBelow: 0, batchSize: 4 } }),
  );
  assert.equal(done.status, 'completed', done.error ?? '');
  const r = done.result!;
  assert.equal(r.classified + r.resumed, 5);
  assert.equal(Object.values(r.predicted).reduce((a, b) => a + b, 0), 5);
  assert.equal(r.errors.length, 1);
  assert.match(r.errors[0]!.path, /broken\.jpg$/);
  assert.equal(r.report?.labeled, 4, 'the four photos in class folders are scored');
  assert.equal(r.files?.predictions, csv);
  const rows = parseCsv(fs.readFileSync(csv, 'utf8'));
  assert.equal(rows.length, 1 + 5);
  const sorted = fs.readdirSync(path.join(out, 'sorted'), { recursive: true }).filter((f) => String(f).endsWith('.jpg'));
  assert.equal(sorted.length, 5);
  assert.equal(fs.readdirSync(path.join(folder, 'quartz')).length, 2, 'copy leaves the originals');

  const opened = await t.call('files.openFolder', { path: out });
  assert.deepEqual(opened, { opened: false, path: out }, 'the harness cannot open a desktop window: it gives the path');
  assert.equal(expectError(await t.core.handleRequest('files.openFolder', { path: csv })).code, 'invalid-request');
});

test('train job: a tiny real run streams epochs, cancels, resumes in the same folder, and lists the run', async () => {
  const outDir = path.join(t.dir, 'run');
  const params = { outDir, variant: 'mavit', backbone: 'vit-ti', weights: null, epochs: 3, batchSize: 4, lr: 1e-3, weightDecay: 0.01, seed: 1, imageSize: 32, limitPerClass: 4 } as const;
  const { job } = await t.call('jobs.start', { kind: 'train', params });
  // Cancel once the first epoch is in (a condition, not a clock).
  await new Promise<void>((resolve) => {
    const off = t.core.events.subscribe((m) => {
      if (m.event === 'job.progress' && m.payload.kind === 'train' && m.payload.jobId === job.id && m.payload.progress.epochsDone.length >= 1) {
        off();
        resolve();
      }
    });
  });
  assert.equal((await t.call('jobs.cancel', { jobId: job.id })).cancelled, true);
  const cancelled = jobOf('train', await t.finished(job.id));
  assert.equal(cancelled.status, 'cancelled', cancelled.error ?? '');
  const runId = cancelled.progress!.runId!;
  let { runs } = await t.call('runs.list', {});
  assert.equal(runs[0]!.id, runId);
  assert.equal(runs[0]!.status, 'cancelled');
  assert.equal(runs[0]!.resumable, true);
  assert.deepEqual({ ...runs[0]!.settings, device: 'auto' }, { ...params, device: 'auto', weighting: 'inverse', cbamGate: 'residual', warmupEpochs: 0, dropPath: 0.1, keep: 'best-acc', restart: false });

  // Resume: the same settings in the same folder continue the same run.
  const resumed = jobOf('train', await runJob({ kind: 'train', params: runs[0]!.settings! }));
  assert.equal(resumed.status, 'completed', resumed.error ?? '');
  const result = resumed.result!;
  assert.equal(result.runId, runId);
  assert.ok(result.resumedFrom && result.resumedFrom.epoch >= 1);
  assert.equal(result.epochs.length, 3);
  assert.ok(result.modelId);
  assert.equal(resumed.progress!.epochsDone.length, 3, 'the progress carries the epochs from before the resume too');
  ({ runs } = await t.call('runs.list', {}));
  assert.equal(runs[0]!.status, 'completed');
  assert.equal(runs[0]!.resumable, false);
  assert.equal(runs[0]!.modelId, result.modelId);
  const run = await t.call('runs.get', { id: runId });
  assert.equal(run.epochs.length, 3);
  assert.equal(run.kept?.epoch, result.best?.epoch);
  assert.ok(run.kept?.reason.startsWith(result.best!.reason), `${run.kept?.reason} / ${result.best?.reason}`);
  assert.ok((await t.call('models.list', {})).models.some((m) => m.id === result.modelId && m.runId === runId));

  // The folder now holds a finished run's model: a new run there is refused rather than overwriting it.
  const taken = expectError(await t.core.handleRequest('jobs.start', { kind: 'train', params: { ...params, epochs: 1 } }));
  assert.equal(taken.code, 'conflict');
  assert.match(taken.message, /holds a finished run's model\.onnx/);
});
