import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { assignSplits, openDatabase } from '../../src/main/catalogue';
import { importFolder } from '../../src/main/jobs/import';
import { evaluateCatalogueSplit } from '../../src/main/jobs/evaluate';
import { OnnxClassifier } from '../../src/main/jobs/inference/classifier';
import { MINERALS7, tempDir } from '../helpers/fs';
import { makeTinyClassifier } from '../helpers/model';

test('evaluation whose inference workers die mid-split fails with the workers’ error, and leaves no unhandled rejection', async () => {
  const dir = tempDir();
  const file = path.join(dir, 'c.sqlite');
  const db = openDatabase(file);
  await importFolder(db, { folder: MINERALS7, labelsFromFolders: true });
  assignSplits(db, 0);
  // Batches of 2 on two workers: several batches are in flight when the workers go.
  const classifier = await OnnxClassifier.open(makeTinyClassifier(dir, ['biotite', 'muscovite'], { batchSize: 2 }), { workers: 2 });
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => unhandled.push(reason);
  process.on('unhandledRejection', onUnhandled);
  try {
    let closing: Promise<void> | null = null;
    await assert.rejects(
      evaluateCatalogueSplit(db, file, classifier, 'train', { onProgress: () => void (closing ??= classifier.close()) }),
      /inference worker exited/,
    );
    await closing;
    // Unhandled rejections are reported after the microtask queue drains: give them a macrotask turn.
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(unhandled, []);
  } finally {
    process.off('unhandledRejection', onUnhandled);
    db.close();
  }
});
