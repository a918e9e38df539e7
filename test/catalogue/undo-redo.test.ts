// Undo and redo of label operations (catalogue/labels.ts): undo by id, refused twice; redo re-applies the
// newest undone operation (a split fix's moves included); a description of either before it runs, with the
// counts a confirmation names; notices worded by what changed ("804 labels removed", "12 labels restored").
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import {
  applyLabelChanges,
  createLabelOp,
  describeLabelOpChange,
  ensureClass,
  getSpecimen,
  listClasses,
  mergeClasses,
  openDatabase,
  redoLabelOp,
  setLabelInOp,
  SPLIT_FIX_KIND,
  undoLabelOp,
  undoLastLabelOp,
  type Db,
} from '../../src/main/catalogue';
import { tempDir } from '../helpers/fs';
import { addSpecimens } from '../helpers/specimens';

function freshDb(): Db {
  return openDatabase(path.join(tempDir(), 'catalogue.sqlite'));
}

const addUnlabeled = (db: Db, n: number) => addSpecimens(db, null, n);

/** Folder labels as the import records them (jobs/import.ts): one 'folder' operation over every specimen. */
function importFolderLabels(db: Db, ids: number[], classId: number): number {
  return db.transaction(() => {
    const opId = createLabelOp(db, 'folder', 'import', 'labels from class folders of /photos', { folder: '/photos' });
    for (const id of ids) setLabelInOp(db, opId, id, null, classId);
    return opId;
  })();
}

const labels = (db: Db, ids: number[]) => ids.map((id) => getSpecimen(db, id)!.label);

test('undo by id reverts that operation only, words the notice by what changed, and refuses a second time', () => {
  const db = freshDb();
  const ids = addUnlabeled(db, 60);
  const quartz = ensureClass(db, 'quartz');
  const pyrite = ensureClass(db, 'pyrite');
  const imported = importFolderLabels(db, ids, quartz);
  const relabel = applyLabelChanges(db, { specimenIds: ids.slice(0, 12), toClassId: pyrite, source: 'manual', kind: 'label', description: 'label 12 as pyrite' });
  const one = applyLabelChanges(db, { specimenIds: [ids[59]!], toClassId: pyrite, source: 'manual', kind: 'label', description: 'label 1 as pyrite' });

  // The relabel, not the newest operation: its 12 specimens get quartz back; the newest stays.
  const before = describeLabelOpChange(db, 'undo', relabel)!;
  assert.equal(before.specimens, 12);
  assert.equal(before.labelsSet, 12);
  assert.equal(before.bulk, false);
  assert.equal(before.consequence, '12 specimens will get their earlier label back.');
  const undone = undoLabelOp(db, relabel)!;
  assert.equal(undone.opId, relabel);
  assert.equal(undone.summary, '12 labels restored');
  assert.deepEqual(labels(db, ids.slice(0, 12)), Array(12).fill('quartz'));
  assert.equal(getSpecimen(db, ids[59]!)!.label, 'pyrite');
  assert.throws(() => undoLabelOp(db, relabel), /already undone/);
  assert.throws(() => undoLabelOp(db, undone.recordedOpId), /itself an undo/);
  assert.throws(() => undoLabelOp(db, 9999), /no label operation with id 9999/);

  // The import's folder labels: bulk by its source, every specimen loses its label but the one relabeled since.
  const importPreview = describeLabelOpChange(db, 'undo', imported)!;
  assert.deepEqual(
    [importPreview.source, importPreview.bulk, importPreview.specimens, importPreview.labelsRemoved, importPreview.skipped],
    ['folder', true, 59, 59, 1],
  );
  assert.equal(importPreview.consequence, '59 specimens will lose their label; 1 specimen changed since will be left as it is.');
  assert.equal(describeLabelOpChange(db, 'undo', imported)!.opId, imported, 'a description changes nothing');
  assert.equal(undoLabelOp(db, imported)!.summary, '59 labels removed, 1 changed since and kept');
  assert.deepEqual(labels(db, ids.slice(0, 59)), Array(59).fill(null));
  assert.equal(undoLastLabelOp(db)!.opId, one, 'the newest operation not undone is next');
});

test('redo re-applies the newest undone operation, then the one before; undo works again after a redo', () => {
  const db = freshDb();
  const ids = addUnlabeled(db, 804);
  const quartz = ensureClass(db, 'quartz');
  const pyrite = ensureClass(db, 'pyrite');
  const imported = importFolderLabels(db, ids, quartz);
  const seven = applyLabelChanges(db, { specimenIds: [ids[1]!], toClassId: pyrite, source: 'manual', kind: 'label', description: 'label 1 as pyrite' });
  assert.equal(describeLabelOpChange(db, 'redo'), null, 'nothing undone yet');
  assert.throws(() => redoLabelOp(db, seven), /not undone: nothing to redo/);

  assert.equal(undoLastLabelOp(db)!.summary, '1 label restored');
  assert.equal(undoLastLabelOp(db)!.summary, '804 labels removed');
  assert.deepEqual(new Set(labels(db, ids)), new Set([null]));

  const redoImport = describeLabelOpChange(db, 'redo')!;
  assert.deepEqual([redoImport.opId, redoImport.bulk, redoImport.specimens], [imported, true, 804]);
  assert.equal(redoImport.consequence, '804 specimens will be labeled again.');
  assert.equal(redoLabelOp(db)!.summary, '804 labels re-applied');
  assert.equal(getSpecimen(db, ids[1]!)!.label, 'quartz');
  const redone = redoLabelOp(db)!;
  assert.deepEqual([redone.opId, redone.summary], [seven, '1 label re-applied']);
  assert.equal(getSpecimen(db, ids[1]!)!.label, 'pyrite');
  assert.equal(redoLabelOp(db), null, 'every undo is redone');

  // A redone operation stands again: undo reverts it (by id too), and redo by id brings it back.
  assert.equal(undoLastLabelOp(db)!.opId, seven);
  assert.equal(redoLabelOp(db, seven)!.summary, '1 label re-applied');
  assert.equal(undoLabelOp(db, imported)!.summary, '803 labels removed, 1 changed since and kept');
  const history = db.prepare('SELECT source, kind, description FROM label_ops ORDER BY id').all();
  assert.deepEqual(
    history.map((h) => Object.values(h as object).join(' | ')),
    [
      'folder | import | labels from class folders of /photos',
      'manual | label | label 1 as pyrite',
      'undo | undo | undo: label 1 as pyrite',
      'undo | undo | undo: labels from class folders of /photos',
      'undo | redo | redo: labels from class folders of /photos',
      'undo | redo | redo: label 1 as pyrite',
      'undo | undo | undo: label 1 as pyrite',
      'undo | redo | redo: label 1 as pyrite',
      'undo | undo | undo: labels from class folders of /photos',
    ],
  );
});

test('a split fix: undo moves its specimens back to their splits, redo moves them again from its payload', () => {
  const db = freshDb();
  const ids = addUnlabeled(db, 4);
  const setSplit = db.prepare('UPDATE specimens SET split = ? WHERE id = ?');
  for (const [i, split] of (['val', 'train', 'test', 'train'] as const).entries()) setSplit.run(split, ids[i]);
  // As splits.ts fixSplitLeaks records it: one operation whose payload lists the moves.
  const moves = [
    { id: ids[1]!, from: 'train', to: 'val' },
    { id: ids[2]!, from: 'test', to: 'val' },
  ];
  createLabelOp(db, 'manual', SPLIT_FIX_KIND, 'moved 2 specimens of 1 photo groups into one split each', { moves });
  for (const m of moves) setSplit.run(m.to, m.id);
  const splits = () => ids.map((id) => getSpecimen(db, id)!.split);

  assert.equal(describeLabelOpChange(db, 'undo')!.consequence, '2 specimens will move back to their splits.');
  const undone = undoLastLabelOp(db)!;
  assert.deepEqual([undone.reverted, undone.summary], [2, '2 specimens moved back to their splits']);
  assert.deepEqual(splits(), ['val', 'train', 'test', 'train']);
  assert.equal(redoLabelOp(db)!.summary, "2 specimens moved to the group's split again");
  assert.deepEqual(splits(), ['val', 'val', 'val', 'train']);
  assert.equal(undoLastLabelOp(db)!.reverted, 2);
  assert.deepEqual(splits(), ['val', 'train', 'test', 'train']);
});

test('a merge is bulk whatever its size; undo shows the class again, redo hides it again', () => {
  const db = freshDb();
  const ids = addUnlabeled(db, 3);
  const quarz = ensureClass(db, 'Quarz');
  ensureClass(db, 'quartz');
  applyLabelChanges(db, { specimenIds: ids, toClassId: quarz, source: 'manual', kind: 'label', description: 'label 3 as Quarz' });
  const merge = mergeClasses(db, 'Quarz', 'quartz');
  const preview = describeLabelOpChange(db, 'undo', merge.opId)!;
  assert.deepEqual([preview.kind, preview.bulk, preview.specimens], ['merge', true, 3]);
  const names = () => listClasses(db).map((c) => `${c.name} ${c.count}`);
  assert.equal(undoLabelOp(db, merge.opId)!.summary, '3 labels restored');
  assert.deepEqual(names(), ['quartz 0', 'Quarz 3']);
  assert.equal(redoLabelOp(db)!.summary, '3 labels re-applied');
  assert.deepEqual(names(), ['quartz 3']);
});

test('an expert flag set by a review: undo puts the flag back as it was, redo sets it again', () => {
  const db = freshDb();
  const [id] = addUnlabeled(db, 1);
  // As catalogue/review.ts records a flag: one operation, an unchanged label row, the flag in the payload.
  const opId = createLabelOp(db, 'manual', 'review-flag', 'flag a.jpg for an expert', { modelId: 'm', specimenId: id, predicted: 'quartz', previousFlagged: false });
  setLabelInOp(db, opId, id!, null, null);
  db.prepare('UPDATE specimens SET flagged = 1 WHERE id = ?').run(id);
  assert.equal(undoLastLabelOp(db)!.summary, '1 review decision withdrawn');
  assert.equal(getSpecimen(db, id!)!.flagged, false);
  assert.equal(redoLabelOp(db)!.summary, '1 review decision made again');
  assert.equal(getSpecimen(db, id!)!.flagged, true);
});
