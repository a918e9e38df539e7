import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { Writable } from 'node:stream';
import { assignSplits, openDatabase } from '../../src/main/catalogue';
import { importFolder } from '../../src/main/jobs/import';
import { evaluateCatalogueSplit } from '../../src/main/jobs/evaluate';
import { OnnxClassifier } from '../../src/main/jobs/inference/classifier';
import { runCli } from '../../src/main/cli/index';
import { tempDir } from '../helpers/fs';
import { makeJpeg } from '../helpers/images';
import { makeTinyClassifier } from '../helpers/model';

const CLASSES = ['biotite', 'muscovite'];

/** A catalogue of 2 × 12 labeled photos, split 8:1:1 (the train split holds most of them). */
async function smallCatalogue(dir: string): Promise<string> {
  const photos = path.join(dir, 'photos');
  for (const [c, name] of CLASSES.entries()) {
    fs.mkdirSync(path.join(photos, name), { recursive: true });
    for (let i = 0; i < 12; i++) fs.writeFileSync(path.join(photos, name, `${i}.jpg`), await makeJpeg(100 * c + i));
  }
  const file = path.join(dir, 'c.sqlite');
  const db = openDatabase(file);
  await importFolder(db, { folder: photos, labelsFromFolders: true });
  assignSplits(db, 0);
  db.close();
  return file;
}

/** A stream the CLI takes for a terminal (so its progress bar draws), calling `onWrite` with each chunk. */
function terminal(onWrite: (text: string) => void): Writable & { isTTY: boolean; text: () => string } {
  let text = '';
  const stream = new Writable({
    write(chunk: Buffer | string, _encoding, callback) {
      text += chunk.toString();
      onWrite(chunk.toString());
      callback();
    },
  });
  return Object.assign(stream, { isTTY: true, text: () => text });
}

test('an evaluation cancelled after its first batch says its metrics are partial; an uninterrupted one does not', async () => {
  const dir = tempDir();
  const file = await smallCatalogue(dir);
  const db = openDatabase(file);
  // One worker, batches of 2: after the first batch is recorded, the cancel stops the rest.
  const classifier = await OnnxClassifier.open(makeTinyClassifier(dir, CLASSES, { batchSize: 2 }), { workers: 1 });
  try {
    const total = (db.prepare(`SELECT COUNT(*) AS n FROM specimens WHERE split = 'train'`).get() as { n: number }).n;
    assert.ok(total >= 12, `train split of ${total}`);

    const controller = new AbortController();
    const cut = await evaluateCatalogueSplit(db, file, classifier, 'train', { signal: controller.signal, onProgress: () => controller.abort() });
    assert.equal(cut.partial, true);
    assert.equal(cut.total, total);
    assert.ok(cut.scored >= 2 && cut.scored < total, `scored ${cut.scored} of ${total}`);
    assert.equal(cut.report.per_class.reduce((a, c) => a + c.support, 0), cut.scored, 'the report covers what was scored');

    // Cancelled while the cache is being prepared: nothing scored, and still partial, not an empty "result".
    const early = new AbortController();
    early.abort();
    const none = await evaluateCatalogueSplit(db, file, classifier, 'train', { signal: early.signal });
    assert.equal(none.partial, true);
    assert.equal(none.scored, 0);

    const whole = await evaluateCatalogueSplit(db, file, classifier, 'train');
    assert.equal(whole.partial, false);
    assert.equal(whole.scored, total);
  } finally {
    await classifier.close();
    db.close();
  }
});

test('orelab eval interrupted once its progress shows: JSON marked "partial": true, a PARTIAL line on stderr, exit 130', async () => {
  const dir = tempDir();
  const file = await smallCatalogue(dir);
  const model = makeTinyClassifier(dir, CLASSES, { batchSize: 2 });
  const controller = new AbortController();
  // The "Ctrl-C" comes when the first progress line is drawn: after the first batch, by a condition, not a clock.
  const stderr = terminal((text) => {
    if (/eval .* \d+\/\d+/.test(text)) controller.abort();
  });
  const stdout = terminal(() => undefined);
  const code = await runCli(['eval', '--model', model, '--db', file, '--split', 'train', '--json'], { stdout, stderr, signal: controller.signal });
  assert.ok(controller.signal.aborted, 'the progress line was drawn');
  assert.equal(code, 130, stderr.text());
  const json = JSON.parse(stdout.text()) as { partial: boolean; per_class: { support: number }[] };
  assert.equal(json.partial, true);
  assert.match(stderr.text(), /orelab eval: interrupted: PARTIAL metrics over \d+ of the \d+ photos of the train split/);

  const quiet = terminal(() => undefined);
  const out = terminal(() => undefined);
  assert.equal(await runCli(['eval', '--model', model, '--db', file, '--split', 'train', '--json'], { stdout: out, stderr: quiet, signal: new AbortController().signal }), 0);
  assert.equal((JSON.parse(out.text()) as { partial: boolean }).partial, false);
  assert.doesNotMatch(quiet.text(), /PARTIAL/);
});
