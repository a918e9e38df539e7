import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import Database from 'better-sqlite3';
import type { ImportSummary } from '../../src/shared/domain';
import { MINERALS7, tempDir } from '../helpers/fs';
import { parseJson, runOrelab, spawnOrelab } from '../helpers/cli';

function specimenCount(file: string): number {
  if (!fs.existsSync(file)) return 0;
  try {
    const db = new Database(file, { readonly: true, fileMustExist: true });
    try {
      return (db.prepare('SELECT COUNT(*) AS n FROM specimens').get() as { n: number }).n;
    } finally {
      db.close();
    }
  } catch {
    return 0; // not created or not migrated yet
  }
}

test('kill -9 in the middle of an import leaves a valid catalogue, and a re-run completes it without duplicates', async () => {
  const db = path.join(tempDir(), 'killed.sqlite');
  const child = spawnOrelab(['import', MINERALS7, '--labels-from-folders', '--db', db, '--json']);
  const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
  // Wait for the import to be well under way (a condition, not a clock), then kill it without warning.
  let exitedEarly = false;
  void exited.then(() => (exitedEarly = true));
  while (specimenCount(db) < 100 && !exitedEarly) await delay(20);
  child.kill('SIGKILL');
  const signal = await exited;
  assert.equal(signal, 'SIGKILL', 'the import finished before it could be killed');

  const check = new Database(db);
  assert.equal(check.pragma('integrity_check', { simple: true }), 'ok');
  assert.deepEqual(check.pragma('foreign_key_check'), []);
  const before = (check.prepare('SELECT COUNT(*) AS n FROM specimens').get() as { n: number }).n;
  // Whole specimens only: each committed specimen has its thumbnail, its file record and its folder label.
  const partial = check
    .prepare(
      `SELECT COUNT(*) AS n FROM specimens s
        WHERE NOT EXISTS (SELECT 1 FROM thumbnails t WHERE t.specimen_id = s.id)
           OR NOT EXISTS (SELECT 1 FROM files f WHERE f.specimen_id = s.id)
           OR s.label_class_id IS NULL`,
    )
    .get() as { n: number };
  assert.equal(partial.n, 0);
  check.close();
  assert.ok(before >= 100 && before < 804, `killed with ${before} specimens in`);

  const rerun = runOrelab(['import', MINERALS7, '--labels-from-folders', '--db', db, '--json']);
  assert.equal(rerun.status, 0, rerun.stderr);
  const summary = parseJson<ImportSummary>(rerun);
  assert.equal(summary.new, 804 - before);
  assert.equal(summary.duplicates, before);
  assert.equal(summary.specimensTotal, 804);
  assert.equal(Object.values(summary.classes).reduce((a, b) => a + b, 0), 804);
});
