// Knowing how good a model is (issue 11), in Chromium against the harness: the Rebalancing page's leakage audit
// (a photo group across splits shown, fixed into one split, the fix undone), a tiny cross-validation started
// from the Training page whose pooled figures Reports shows with their 95% intervals, and one stopped mid-way
// that resumes. Each flow starts from its own
// split minerals7 catalogue (catalogues.ts); the leak is made by the catalogue's own metadata update
// (leakAcrossSplits), not by clicking. Screenshots go to e2e-screenshots/.
import assert from 'node:assert/strict';
import type Database from 'better-sqlite3';
import type { Locator } from 'playwright-core';
import { flow, flows } from './fixtures';
import { leakAcrossSplits } from './catalogues';
import { screenshot } from './support';

/** Whether an element's content fits its width (nothing sticks out sideways). */
const fitsWidth = (locator: Locator) => locator.evaluate((el: { scrollWidth: number; clientWidth: number }) => el.scrollWidth <= el.clientWidth);

/** Whether the element has the keyboard focus. */
const isFocused = (locator: Locator) => locator.evaluate((el: unknown) => el === (globalThis as unknown as { document: { activeElement: unknown } }).document.activeElement);

const splitOf = (db: Database.Database, id: number) => (db.prepare('SELECT split FROM specimens WHERE id = ?').get(id) as { split: string }).split;

flows('Trust: leak-free splits, cross-validation, intervals', () => {
  // The longer flow first, so that the short one runs beside it.
  flow('training: a 2-fold cross-validation from the Training page completes; Reports shows its pooled accuracy with a 95% interval', { split: true }, async ({ page, readDb }) => {
    await page.getByRole('link', { name: 'Training' }).click();
    await page.getByRole('radio', { name: 'Cross-validate (K folds)' }).check();
    await page.locator('#cv-folds').fill('2');
    await page.locator('#cv-name').fill('trust-cv');
    // A tiny run (as models.test.ts's trials): 32 px, a few photos per class, one epoch, on the CPU.
    await page.getByText('Quick trial run and recipe').click();
    await page.locator('#train-size').selectOption('32');
    await page.locator('#train-limit').fill('4');
    await page.locator('#train-batch').fill('4');
    await page.locator('#train-lr').fill('0.0001');
    await page.locator('#train-device').selectOption('cpu');
    await page.locator('#train-epochs').fill('1');
    await page.locator('#train-variant').selectOption('vit-weighted');
    await page.getByRole('button', { name: 'Start cross-validation' }).click();

    // Live: which fold, and that fold's own training (the train job's status line and curves).
    await page.locator('.cv-fold', { hasText: /Fold [12] of 2/ }).waitFor({ timeout: 300_000 });
    // What the panel shows at that moment (preparing, training or scoring a fold): a picture, not an assertion.
    await page.locator('.cv-run').scrollIntoViewIfNeeded();
    await screenshot(page, '30-training-cv-live');
    await page.locator('#train-live-title', { hasText: 'Finished cross-validation' }).waitFor({ timeout: 900_000 });

    const labeled = readDb((db) => (db.prepare('SELECT COUNT(*) AS n FROM specimens WHERE label_class_id IS NOT NULL').get() as { n: number }).n);
    const run = readDb((db) => db.prepare("SELECT id, status, folds FROM cv_runs WHERE name = 'trust-cv'").get()) as { id: number; status: string; folds: number };
    assert.deepEqual({ status: run.status, folds: run.folds }, { status: 'completed', folds: 2 });
    const predicted = readDb((db) => (db.prepare('SELECT COUNT(*) AS n FROM cv_predictions WHERE cv_run_id = ?').get(run.id) as { n: number }).n);
    assert.equal(predicted, labeled, 'every labeled photo has an out-of-fold prediction');
    // The pooled figures read with their intervals, and both folds are in the table.
    assert.match((await page.locator('.cv-accuracy').textContent()) ?? '', /^\d+\.\d% \(95% CI \d+\.\d–\d+\.\d%\)$/);
    assert.match((await page.locator('.cv-macro-f1').textContent()) ?? '', /^\d\.\d{3} \(95% CI \d\.\d{3}–\d\.\d{3}\)$/);
    const folds = page.locator('.cv-folds-table tbody tr');
    assert.equal(await folds.count(), 2);
    const heldOut = (await page.locator('.cv-folds-table tbody td:nth-child(2)').allTextContents()).map(Number);
    assert.equal(
      heldOut.reduce((a, b) => a + b, 0),
      labeled,
      'the folds hold every labeled photo out once',
    );
    await page.locator('.cv-run').scrollIntoViewIfNeeded();
    await screenshot(page, '31-training-cv-finished');
    await page.setViewportSize({ width: 640, height: 360 });
    await page.locator('.cv-pooled').scrollIntoViewIfNeeded();
    assert.equal(await fitsWidth(page.locator('.page-training')), true, 'the page fits 640 px');
    await screenshot(page, '32-training-cv-640px');
    await page.setViewportSize({ width: 1400, height: 880 });

    // Reports lists the run beside the models (cv.list); choosing it shows the pooled report with intervals.
    await page.getByRole('button', { name: 'Open “trust-cv” in Reports' }).click();
    await page.locator('.topbar-title', { hasText: 'Reports' }).waitFor();
    const option = page.locator('#report-scope option', { hasText: 'trust-cv' });
    await option.waitFor({ state: 'attached' });
    await page.locator('#report-scope').selectOption((await option.getAttribute('value'))!);
    const report = page.locator('.cv-report[data-cv="trust-cv"]');
    await report.getByText(/95% CI/).first().waitFor();
    await page.setViewportSize({ width: 1400, height: 1300 });
    await screenshot(page, '33-reports-cv-intervals');
    await page.setViewportSize({ width: 1400, height: 880 });
  });

  flow('training: a cross-validation stopped mid-way resumes where it stopped', { split: true }, async ({ page, readDb }) => {
    await page.getByRole('link', { name: 'Training' }).click();
    await page.getByRole('radio', { name: 'Cross-validate (K folds)' }).check();
    await page.locator('#cv-folds').fill('2');
    await page.locator('#cv-name').fill('trust-cv-resume');
    await page.getByText('Quick trial run and recipe').click();
    await page.locator('#train-size').selectOption('32');
    await page.locator('#train-limit').fill('4');
    await page.locator('#train-batch').fill('4');
    await page.locator('#train-device').selectOption('cpu');
    // More epochs than the first flow's, so that there is a middle to stop in.
    await page.locator('#train-epochs').fill('4');
    await page.getByRole('button', { name: 'Start cross-validation' }).click();
    // Stop once a fold has an epoch in (its trainer on a later one).
    await page.locator('.cv-run .train-status .phase', { hasText: /Epoch [2-4] of 4/ }).waitFor({ timeout: 600_000 });
    await page.getByRole('button', { name: 'Stop (resumable)' }).click();
    await page.locator('#train-live-title', { hasText: 'Stopped cross-validation' }).waitFor({ timeout: 300_000 });
    assert.equal(readDb((db) => (db.prepare("SELECT status FROM cv_runs WHERE name = 'trust-cv-resume'").get() as { status: string }).status), 'cancelled');
    await page.locator('.cv-run').scrollIntoViewIfNeeded();
    await screenshot(page, '37-training-cv-stopped');

    // The fold's own run is listed as a fold, not offered as a plain run to resume (its photos are the fold's).
    assert.equal(await page.locator('.runs-table').getByRole('button', { name: 'Resume' }).count(), 0);
    await page.getByRole('button', { name: 'Resume the cross-validation' }).click();
    await page.locator('#train-live-title', { hasText: 'Finished cross-validation' }).waitFor({ timeout: 900_000 });
    // Resumed, not restarted: one run in the catalogue, and one training run per fold (the stopped fold's went on).
    const runs = readDb((db) => db.prepare("SELECT status FROM cv_runs WHERE name = 'trust-cv-resume'").all());
    assert.deepEqual(runs, [{ status: 'completed' }]);
    const trainings = readDb((db) => db.prepare('SELECT status FROM training_runs ORDER BY id').all());
    assert.deepEqual(trainings, [{ status: 'completed' }, { status: 'completed' }]);
    assert.equal(await page.locator('.cv-folds-table tbody tr').count(), 2);
  });

  flow('rebalancing: the audit lists a photo group across splits, the fix keeps it in one split, Undo puts it back', { split: true }, async ({ page, catalogue, readDb }) => {
    const leak = leakAcrossSplits(catalogue.dbPath);
    assert.notEqual(leak.first.split, leak.other.split);
    await page.getByRole('link', { name: 'Rebalancing' }).click();

    // The audit: one group spans splits, its photos side by side, each captioned with its split and name.
    const summary = page.locator('.leak-summary');
    await summary.filter({ hasText: '1 spans more than one split' }).waitFor();
    const group = page.locator(`.leak-group[data-group="${leak.first.id}"]`);
    assert.equal(await page.locator('.leak-group').count(), 1);
    for (const s of [leak.first, leak.other]) {
      const card = group.locator(`.thumb-card[data-specimen-id="${s.id}"]`);
      assert.equal(await card.getAttribute('data-split'), s.split);
      assert.match((await card.locator('img').getAttribute('alt')) ?? '', new RegExp(`in the ${s.split === 'val' ? 'validation' : s.split} split`));
    }
    // The class's count in the moved photo's split, which the fix lowers by one and Undo restores.
    const countCell = (n: number) => page.locator(`.split-table tr[data-class="${leak.className}"] td.${leak.other.split}`, { hasText: new RegExp(`^${n}$`) });
    const before = Number(await page.locator(`.split-table tr[data-class="${leak.className}"] td.${leak.other.split}`).textContent());
    await page.setViewportSize({ width: 1400, height: 1300 });
    await group.scrollIntoViewIfNeeded();
    await screenshot(page, '34-rebalancing-leak-audit');

    // The fix moves the other photo into the first one's split, as one undoable operation. By keyboard: the
    // button goes away once nothing leaks, and the focus moves to what moved (then Tab reaches its Undo).
    await page.getByRole('button', { name: 'Keep each group in one split' }).focus();
    await page.keyboard.press('Enter');
    await page.locator('.fix-result', { hasText: `Moved 1 photo: #${leak.other.id} ` }).waitFor();
    await summary.filter({ hasText: 'none spans more than one split' }).waitFor();
    assert.equal(await page.locator('.leak-group').count(), 0);
    assert.equal(
      readDb((db) => splitOf(db, leak.other.id)),
      leak.first.split,
    );
    // The split counts follow: the moved photo left its split.
    await countCell(before - 1).waitFor();
    await page.locator('.fix-result').scrollIntoViewIfNeeded();
    await screenshot(page, '35-rebalancing-leak-fixed');

    // Undo reverts it: the photo is back in its split and the audit lists the group again.
    const undo = page.getByRole('button', { name: 'Undo the move', disabled: false });
    await undo.waitFor();
    await page.keyboard.press('Tab');
    assert.equal(await isFocused(undo), true, 'Tab from the outcome reaches its Undo');
    await page.keyboard.press('Enter');
    await page.locator('.fix-result', { hasText: 'Undone: 1 photo back in its split' }).waitFor();
    await summary.filter({ hasText: '1 spans more than one split' }).waitFor();
    assert.equal(
      readDb((db) => splitOf(db, leak.other.id)),
      leak.other.split,
    );
    await countCell(before).waitFor();

    // At 200% zoom (640 × 360 CSS px) the page does not scroll sideways: the panes stack, and only the row of
    // photos (and wide tables) scroll inside their own box.
    await page.setViewportSize({ width: 640, height: 360 });
    await group.scrollIntoViewIfNeeded();
    assert.equal(await fitsWidth(page.locator('.page-rebalancing')), true, 'the page fits 640 px');
    await screenshot(page, '36-rebalancing-leak-audit-640px');
    await page.setViewportSize({ width: 1400, height: 880 });
  });
});
