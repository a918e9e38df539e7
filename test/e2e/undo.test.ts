// Undo and redo on the pages that change labels (issue 16): one z must never erase the import's folder labels.
// The keyboard's z undoes only what was done on the page in this visit, shift+z redoes it; the Undo button
// reaches the catalogue's older changes only through a confirmation naming the count. The Catalogue's detail
// panel sets a label on Enter, not on every arrow, and z works there too.
import assert from 'node:assert/strict';
import type Database from 'better-sqlite3';
import { flow, flows, paletteCount, resultCount } from './fixtures';
import { screenshot } from './support';

/** Specimens with a label, and label operations made by hand that stand (not undone). */
const labeled = (db: Database.Database) => (db.prepare('SELECT COUNT(*) AS n FROM specimens WHERE label_class_id IS NOT NULL').get() as { n: number }).n;
const importUndone = (db: Database.Database) => (db.prepare("SELECT undone_by FROM label_ops WHERE kind = 'import'").get() as { undone_by: number | null }).undone_by;
const manualOps = (db: Database.Database) => db.prepare("SELECT description, undone_by IS NOT NULL AS undone FROM label_ops WHERE source = 'manual' ORDER BY id").all();

flows('undo and redo of label operations', () => {
  flow('labeling: ArrowRight, 7, z, z undoes the label once and keeps the import; shift+z redoes; a bulk undo only via the confirmed button', { imported: true }, async ({ page, readDb }) => {
    const notice = (text: string | RegExp) => page.locator('.notice', { hasText: text });
    const confirm = page.locator('dialog.confirm-dialog');
    await page.getByRole('link', { name: 'Labeling' }).click();
    await page.locator('#labeling-filter-class').selectOption({ label: 'biotite (58)' });
    await resultCount(page).filter({ hasText: '58 specimens' }).waitFor();
    await paletteCount(page, 'quartz').filter({ hasText: '119' }).waitFor();

    await page.locator('#labeling-grid').focus();
    await page.keyboard.press('ArrowRight');
    await page.locator('.selection-count', { hasText: '1 specimen selected' }).waitFor();
    await page.keyboard.press('7');
    await paletteCount(page, 'quartz').filter({ hasText: '120' }).waitFor();
    await paletteCount(page, 'biotite').filter({ hasText: '57' }).waitFor();
    await page.locator('.undo-what', { hasText: 'z would undo: label 1 as quartz' }).waitFor();

    // The first z undoes the label made here, worded by what changed.
    await page.keyboard.press('z');
    await notice('Undid “label 1 as quartz”: 1 label restored').waitFor();
    await paletteCount(page, 'biotite').filter({ hasText: '58' }).waitFor();
    // The second finds nothing more of this page's: the import's 804 folder labels stay, and nothing asks.
    await page.keyboard.press('z');
    await notice(/^Nothing from this page to undo/).waitFor();
    assert.equal(await confirm.isVisible(), false, 'z never opens the bulk confirmation for a change not made here');
    assert.equal(readDb(labeled), 804);
    assert.equal(readDb(importUndone), null);
    await paletteCount(page, 'quartz').filter({ hasText: '119' }).waitFor();
    await page.locator('.undo-what', { hasText: 'last change, not made on this page (asks first): labels from class folders of' }).waitFor();
    await screenshot(page, 'undo-01-labeling-after-z-z');

    // shift+z redoes the label this page undid.
    await page.keyboard.press('Shift+Z');
    await notice('Redid “label 1 as quartz”: 1 label re-applied').waitFor();
    await paletteCount(page, 'quartz').filter({ hasText: '120' }).waitFor();
    assert.deepEqual(readDb(manualOps), [{ description: 'label 1 as quartz', undone: 0 }]);
    await page.keyboard.press('z');
    await paletteCount(page, 'quartz').filter({ hasText: '119' }).waitFor();

    // The explicit bulk path: the Undo button offers the import's folder labels, and asks first, naming the count.
    await page.getByRole('button', { name: /^Undo/ }).click();
    await confirm.waitFor();
    const question = (await confirm.locator('.confirm-question').textContent()) ?? '';
    assert.match(question, /^Undo “labels from class folders of .+”\? 804 specimens will lose their label\.$/);
    assert.equal(await confirm.getByRole('button', { name: 'Cancel' }).evaluate((b) => b === b.ownerDocument.activeElement), true, 'Cancel has the focus');
    await screenshot(page, 'undo-02-bulk-confirmation');
    // At 200% zoom of 1280×720 (640×360 CSS px) the question and both answers stay on the screen.
    const viewport = page.viewportSize()!;
    await page.setViewportSize({ width: 640, height: 360 });
    const confirmBox = (await confirm.getByRole('button', { name: 'Undo 804 specimens' }).boundingBox())!;
    assert.ok(confirmBox.x >= 0 && confirmBox.x + confirmBox.width <= 640 && confirmBox.y + confirmBox.height <= 360, JSON.stringify(confirmBox));
    await screenshot(page, 'undo-02b-bulk-confirmation-200pct');
    await page.setViewportSize(viewport);
    await page.keyboard.press('Escape');
    await notice('Not undone: nothing changed').waitFor();
    assert.equal(readDb(labeled), 804);

    await page.getByRole('button', { name: /^Undo/ }).click();
    await confirm.getByRole('button', { name: 'Undo 804 specimens' }).click();
    await notice(/: 804 labels removed/).waitFor();
    await paletteCount(page, 'quartz').filter({ hasText: /^0$/ }).waitFor();
    assert.equal(readDb(labeled), 0);

    // Redo of a bulk undo is confirmed too; shift+z reaches it, since this page undid it.
    await page.locator('#labeling-grid').focus();
    await page.keyboard.press('Shift+Z');
    await confirm.getByRole('button', { name: 'Redo 804 specimens' }).click();
    await notice(/: 804 labels re-applied/).waitFor();
    await paletteCount(page, 'quartz').filter({ hasText: '119' }).waitFor();
    assert.equal(readDb(labeled), 804);
    assert.equal(readDb(importUndone), null);
  });

  flow('catalogue detail panel: arrows only choose a label, Enter sets it, z undoes it and shift+z redoes it', { imported: true }, async ({ page, readDb }) => {
    await resultCount(page).filter({ hasText: '804 specimens' }).waitFor();
    await page.locator('.cell[data-index="2"]').click();
    const panel = page.locator('.detail-panel');
    await panel.getByText('from import folder').waitFor();
    const select = panel.locator('#detail-label');
    const before = await select.inputValue();
    const labelOf = (id: string) => readDb((db) => (db.prepare('SELECT label_class_id AS c FROM specimens WHERE id = ?').get(Number(id)) as { c: number | null }).c);
    const id = (await page.locator('.cell[data-index="2"]').getAttribute('data-specimen-id'))!;

    await select.focus();
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('ArrowDown');
    await panel.locator('.hint', { hasText: /^Enter sets / }).waitFor();
    const chosen = await select.inputValue();
    assert.notEqual(chosen, before);
    assert.deepEqual(readDb(manualOps), [], 'arrows save nothing');
    assert.equal(String(labelOf(id)), before);
    await screenshot(page, 'undo-03-detail-label-chosen');

    await page.keyboard.press('Enter');
    await page.locator('.notice', { hasText: /labeled .* \(z undoes\)/ }).waitFor();
    await panel.getByText('by hand').waitFor();
    assert.equal(String(labelOf(id)), chosen);
    assert.equal(readDb(manualOps).length, 1);

    // z in the panel (the focus is still on the Label list) undoes it; shift+z redoes it.
    await page.keyboard.press('z');
    await page.locator('.notice', { hasText: /^Undid “label 1 as .+”: 1 label restored/ }).waitFor();
    assert.equal(String(labelOf(id)), before);
    await page.keyboard.press('Shift+Z');
    await page.locator('.notice', { hasText: /^Redid “label 1 as .+”: 1 label re-applied/ }).waitFor();
    assert.equal(String(labelOf(id)), chosen);
    // A second z and a third: the one label made here, then nothing more; the import stays.
    await page.keyboard.press('z');
    await page.locator('.notice', { hasText: /1 label restored/ }).waitFor();
    await page.keyboard.press('z');
    await page.locator('.notice', { hasText: /^Nothing from this page to undo/ }).waitFor();
    assert.equal(readDb(labeled), 804);
    assert.equal(readDb(importUndone), null);
  });

  flow('relabel: a, z, z undoes the decision once and nothing older; shift+z redoes it', { predictions: true }, async ({ page, readDb, text }) => {
    const notice = (t: string | RegExp) => page.locator('.notice', { hasText: t });
    await page.getByRole('link', { name: 'Relabel' }).click();
    await page.locator('.queue-count', { hasText: /\d+ specimens? to review/ }).waitFor();
    const before = await text('.queue-count');
    const first = page.locator('.relabel-item').first();
    const predicted = (await first.locator('.predicted-text').textContent())!;
    const opsBefore = readDb((db) => db.prepare('SELECT id, undone_by FROM label_ops ORDER BY id').all());
    await first.click();

    await page.keyboard.press('a');
    await notice(`Accept the prediction ${predicted}`).waitFor();
    await page.keyboard.press('z');
    await notice(`Undid “accept the prediction ${predicted}`).waitFor();
    await page.locator('.queue-count', { hasText: before }).waitFor();
    await page.keyboard.press('z');
    await notice(/^Nothing from this page to undo/).waitFor();
    // Every operation from before this visit stands as it was (the import's labels among them).
    const standing = readDb((db) => db.prepare(`SELECT id, undone_by FROM label_ops WHERE id <= ? ORDER BY id`).all((opsBefore.at(-1) as { id: number } | undefined)?.id ?? 0));
    assert.deepEqual(standing, opsBefore);

    await page.keyboard.press('Shift+Z');
    await notice(`Redid “accept the prediction ${predicted}`).waitFor();
    await page.locator('.queue-count', { hasText: before }).waitFor({ state: 'detached' });
    assert.deepEqual(
      readDb((db) => db.prepare("SELECT kind, undone_by IS NOT NULL AS undone FROM label_ops WHERE kind IN ('review-accept', 'undo', 'redo') ORDER BY id").all()),
      [
        { kind: 'review-accept', undone: 0 },
        { kind: 'undo', undone: 1 },
        { kind: 'redo', undone: 0 },
      ],
    );
  });
});
