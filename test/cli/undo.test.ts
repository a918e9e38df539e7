// `orelab undo` and `orelab redo`: each says what it will revert before doing it; a bulk change (an import's
// folder labels, a merge, more than 50 specimens) needs --yes when stdin is not a terminal (exit 2, nothing
// changed without it); --op names one operation, refused when it was already undone.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { applyLabelChanges, createLabelOp, ensureClass, openDatabase, setLabelInOp } from '../../src/main/catalogue';
import { runCliInProcess, runOrelab } from '../helpers/cli';
import { tempDir } from '../helpers/fs';
import { addSpecimens } from '../helpers/specimens';

/** A catalogue of 60 specimens labeled quartz by an import's folder labels, then one relabeled pyrite. */
function importedCatalogue(): { file: string; importOp: number; relabelOp: number } {
  const file = path.join(tempDir(), 'c.sqlite');
  const db = openDatabase(file);
  const quartz = ensureClass(db, 'quartz');
  const pyrite = ensureClass(db, 'pyrite');
  const ids = addSpecimens(db, null, 60);
  // As jobs/import.ts records folder labels: one 'folder' operation.
  const importOp = createLabelOp(db, 'folder', 'import', 'labels from class folders of /photos', { folder: '/photos' });
  for (const id of ids) setLabelInOp(db, importOp, id, null, quartz);
  const relabelOp = applyLabelChanges(db, { specimenIds: [ids[0]!], toClassId: pyrite, source: 'manual', kind: 'label', description: 'label 1 as pyrite' });
  db.close();
  return { file, importOp, relabelOp };
}

function labelCounts(file: string): Record<string, number> {
  const db = openDatabase(file);
  try {
    const rows = db.prepare(`SELECT COALESCE(c.name, 'unlabeled') AS name, COUNT(*) AS n FROM specimens s LEFT JOIN classes c ON c.id = s.label_class_id GROUP BY 1`).all() as { name: string; n: number }[];
    return Object.fromEntries(rows.map((r) => [r.name, r.n]));
  } finally {
    db.close();
  }
}

test('orelab undo: a small undo says what it reverts and does it; by --op; refused once already undone', async () => {
  const { file, importOp, relabelOp } = importedCatalogue();
  const undo = await runCliInProcess(['undo', '--db', file]);
  assert.equal(undo.status, 0, undo.stderr);
  assert.equal(
    undo.stdout,
    `undo operation ${relabelOp} "label 1 as pyrite" (manual, label, ${/\(manual, label, ([^)]+)\)/.exec(undo.stdout)?.[1]}): 1 specimen will get its earlier label back.\nundid "label 1 as pyrite": 1 label restored\n`,
  );
  assert.deepEqual(labelCounts(file), { quartz: 60 });
  const again = await runCliInProcess(['undo', '--op', String(relabelOp), '--db', file]);
  assert.equal(again.status, 1);
  assert.match(again.stderr, /already undone/);
  const unknown = await runCliInProcess(['undo', '--op', '0', '--db', file]);
  assert.equal(unknown.status, 2, 'an op id must be positive: a usage error');
  // Redo by id brings the relabel back (one specimen: no confirmation).
  const redo = await runCliInProcess(['redo', '--op', String(relabelOp), '--db', file, '--json']);
  assert.equal(redo.status, 0, redo.stderr);
  const json = JSON.parse(redo.stdout) as { opId: number; summary: string; specimens: number };
  assert.deepEqual([json.opId, json.summary, json.specimens], [relabelOp, '1 label re-applied', 1]);
  assert.match(redo.stderr, /^redo operation \d+ "label 1 as pyrite"/, 'with --json the description goes to stderr');
  assert.equal((await runCliInProcess(['undo', '--op', String(importOp), '--db', file, '--yes'])).status, 0);
  assert.deepEqual(labelCounts(file), { pyrite: 1, unlabeled: 59 });
});

test('orelab undo and redo of the import’s folder labels need --yes when stdin is not a terminal; nothing changes without it', async () => {
  const { file } = importedCatalogue();
  assert.equal((await runCliInProcess(['undo', '--db', file])).status, 0, 'the relabel first');

  // The real CLI in a child process whose stdin is a pipe, not a terminal.
  const refused = runOrelab(['undo', '--db', file]);
  assert.equal(refused.status, 2, refused.stderr);
  assert.match(refused.stdout, /^undo operation \d+ "labels from class folders of \/photos" \(folder, import, [^)]+\): 60 specimens will lose their label\.\n$/);
  assert.match(refused.stderr, /changes 60 specimens .*stdin is not a terminal.*--yes.*Nothing was changed\./);
  assert.deepEqual(labelCounts(file), { quartz: 60 });

  const confirmed = runOrelab(['undo', '--yes', '--db', file]);
  assert.equal(confirmed.status, 0, confirmed.stderr);
  assert.match(confirmed.stdout, /undid "labels from class folders of \/photos": 60 labels removed\n$/);
  assert.deepEqual(labelCounts(file), { unlabeled: 60 });

  const redoRefused = runOrelab(['redo', '--db', file]);
  assert.equal(redoRefused.status, 2);
  assert.match(redoRefused.stdout, /60 specimens will be labeled again/);
  assert.deepEqual(labelCounts(file), { unlabeled: 60 });
  const redone = await runCliInProcess(['redo', '--yes', '--db', file]);
  assert.equal(redone.status, 0, redone.stderr);
  assert.match(redone.stdout, /redid "labels from class folders of \/photos": 60 labels re-applied\n$/);
  assert.deepEqual(labelCounts(file), { quartz: 60 });
});
