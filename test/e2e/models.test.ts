// The pages that use a model, in Chromium against the harness: Training (a tiny real run; a run stopped and
// resumed beside an earlier run's model, two models side by side in Reports), Reports (evaluate on the test
// split, a confusion cell's photos, CSV), Relabel, Batch classification, and the Catalogue's CBAM attention
// overlay. Each flow starts from its own catalogue (catalogues.ts: a tiny exported MA-ViT registered, or a
// completed run 1, made by the services, not by another flow), harness and browser context (fixtures.ts).
// Flows run two at a time in the order written: the longest first, so that the short ones run beside it and
// the two training runs overlap as little as they can. Screenshots go to e2e-screenshots/.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { parseCsv } from '../../src/main/jobs/classify/csv';
import { MINERALS7 } from '../helpers/fs';
import { countsBy, flow, flows, resultCount, valueChangesFrom } from './fixtures';
import { imageLoaded, screenshot } from './support';

flows('Training, Reports, Relabel, Batch classification and the attention overlay', () => {
  // Run 1 (completed, with its model evaluated on the test split) is made by the catalogue services.
  flow('training: a second run stopped mid-way resumes from its checkpoint; two models side by side in Reports', { trainedRun: true }, async ({ page, harness, readDb }) => {
    await page.getByRole('link', { name: 'Training' }).click();
    await page.locator('.runs-table tr[data-run="1"] .run-status', { hasText: 'completed' }).waitFor();
    const outDir = await page.locator('#train-out').inputValue();
    const first = readDb((db) => (db.prepare('SELECT out_dir AS outDir FROM training_runs WHERE id = 1').get() as { outDir: string }).outDir);
    assert.notEqual(outDir, first, 'the suggested folder is never an earlier run\'s, so the next run never overwrites its model');
    assert.ok(outDir.startsWith(harness.dir), outDir);
    // The trial settings of the first flow; more epochs leave room to stop in the middle.
    await page.getByText('Quick trial run and recipe').click();
    await page.locator('#train-size').selectOption('32');
    await page.locator('#train-limit').fill('6');
    await page.locator('#train-batch').fill('4');
    await page.locator('#train-lr').fill('0.0001');
    await page.locator('#train-device').selectOption('cpu');
    await page.locator('#train-epochs').fill('12');
    await page.locator('#train-variant').selectOption('vit-weighted');
    await page.getByRole('button', { name: 'Start training' }).click();
    // Stop once the first epoch is in (its row, and the trainer on the second).
    await page.locator('.train-status .phase', { hasText: /Epoch ([2-9]|1[01]) of 12/ }).waitFor({ timeout: 600_000 });
    await page.getByRole('button', { name: 'Stop (resumable)' }).click();
    await page.locator('#train-live-title', { hasText: 'Stopped run' }).waitFor({ timeout: 300_000 });
    const stopped = await page.locator('.epochs-table tbody tr').count();
    assert.ok(stopped >= 1 && stopped < 12, `stopped after ${stopped} epochs`);
    await page.locator('.live-run').scrollIntoViewIfNeeded();
    await screenshot(page, '14-training-stopped');
    const row = page.locator('.runs-table tr[data-run="2"]');
    await row.locator('.run-status', { hasText: 'cancelled' }).waitFor();
    await row.getByRole('button', { name: 'Resume' }).click();
    // Live: the resumed run is training again, with the epochs from before the stop on its curves.
    await page.locator('.train-status .phase', { hasText: /^Epoch/ }).waitFor({ timeout: 600_000 });
    await page.locator('.live-run').scrollIntoViewIfNeeded();
    await screenshot(page, '15-training-live');
    await page.locator('.result-line', { hasText: `resumed at epoch ${stopped + 1}` }).waitFor({ timeout: 600_000 });
    assert.equal(await page.locator('.epochs-table tbody tr').count(), 12, 'the curves carry the epochs from before the stop');
    const runs = readDb((db) => db.prepare('SELECT id, status, variant FROM training_runs ORDER BY id').all());
    assert.deepEqual(runs, [
      { id: 1, status: 'completed', variant: 'mavit' },
      { id: 2, status: 'completed', variant: 'vit-weighted' },
    ]);

    await page.getByRole('button', { name: 'Open the report' }).click();
    const models = readDb((db) => db.prepare('SELECT id, run_id AS runId FROM models ORDER BY run_id').all()) as { id: string; runId: number }[];
    await page.locator('#report-model').selectOption(models[1]!.id);
    await page.locator('#report-compare').selectOption(models[0]!.id);
    const columns = page.locator('.report-columns.compare .model-report');
    await columns.nth(1).waitFor();
    await columns.nth(0).getByRole('button', { name: 'Evaluate on the test split' }).click();
    await columns.nth(0).locator('.per-class-table tbody tr').nth(6).waitFor({ timeout: 300_000 });
    await columns.nth(1).locator('.per-class-table tbody tr').nth(6).waitFor();
    assert.equal(await columns.nth(0).getAttribute('data-model'), models[1]!.id);
    assert.equal(await columns.nth(1).getAttribute('data-model'), models[0]!.id);
    await page.setViewportSize({ width: 1400, height: 1100 });
    await screenshot(page, '16-reports-compare');
    await page.setViewportSize({ width: 1400, height: 880 });
  });

  flow('reports: evaluate the model on the test split, per-class table, a confusion cell opens its photos, CSV export', { model: true }, async ({ page, harness, readDb, catalogue }) => {
    await page.getByRole('link', { name: 'Reports' }).click();
    await page.locator('.topbar-title', { hasText: 'Reports' }).waitFor();
    assert.equal(await page.locator('#report-model').inputValue(), catalogue.model!.id);
    const testCount = readDb((db) => (db.prepare("SELECT COUNT(*) AS n FROM specimens WHERE split = 'test'").get() as { n: number }).n);
    await page.locator('.evaluate-hint', { hasText: `${testCount} test specimens have no prediction` }).waitFor();
    await page.getByRole('button', { name: 'Evaluate on the test split' }).click();
    const rows = page.locator('.per-class-table tbody tr');
    await rows.nth(6).waitFor({ timeout: 300_000 });
    assert.equal(await rows.count(), 7);

    // The table and the matrix agree with the catalogue: supports are the test split's labels.
    const supports = readDb((db) => countsBy(db, "SELECT c.name, COUNT(*) AS n FROM specimens s JOIN classes c ON c.id = s.label_class_id WHERE s.split = 'test' GROUP BY c.name"));
    for (const [name, n] of Object.entries(supports)) assert.equal(await page.locator(`.per-class-table tr[data-class="${name}"] .support`).textContent(), String(n), name);
    const cells = page.locator('.confusion-cell');
    assert.equal(await cells.count(), 49);
    const counts = (await cells.allTextContents()).map(Number);
    assert.equal(counts.reduce((a, b) => a + b, 0), testCount);

    // A cell: an off-diagonal one if the model got any wrong, else the largest.
    const entries = await Promise.all(
      (await cells.all()).map(async (c, i) => ({ i, n: counts[i]!, t: (await c.getAttribute('data-true'))!, p: (await c.getAttribute('data-predicted'))! })),
    );
    const cell = entries.filter((e) => e.n > 0 && e.t !== e.p).sort((a, b) => b.n - a.n)[0] ?? entries.sort((a, b) => b.n - a.n)[0]!;
    await cells.nth(cell.i).click();
    const drawer = page.locator('.cell-drawer');
    await drawer.locator('h2', { hasText: `${cell.n} photo` }).waitFor();
    await drawer.locator('.thumb-card').nth(cell.n - 1).waitFor();
    assert.equal(await drawer.locator('.thumb-card').count(), cell.n);
    const shown = (await drawer.locator('.thumb-card').evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-specimen-id'))))).sort((a, b) => a - b);
    const expected = readDb((db) =>
      (
        db
          .prepare(
            `SELECT s.id FROM predictions p JOIN specimens s ON s.id = p.specimen_id JOIN classes c ON c.id = s.label_class_id
              WHERE s.split = 'test' AND c.name = ? AND p.predicted_class = ? ORDER BY s.id`,
          )
          .all(cell.t, cell.p) as { id: number }[]
      ).map((r) => r.id),
    );
    assert.deepEqual(shown, expected);
    await page.setViewportSize({ width: 1400, height: 1300 });
    await screenshot(page, '08-reports');
    await page.setViewportSize({ width: 1400, height: 880 });

    const metricsFile = path.join(harness.dir, 'test-metrics.csv');
    await page.locator('#export-kind').selectOption('metrics');
    await page.locator('#export-path').fill(metricsFile);
    await page.getByRole('button', { name: 'Export CSV', exact: true }).click();
    // Seven classes, then the macro and micro averages.
    await page.locator('.export-result', { hasText: `9 rows written to ${metricsFile}` }).waitFor();
    const csv = parseCsv(fs.readFileSync(metricsFile, 'utf8'));
    assert.deepEqual(csv[0], ['class', 'support', 'precision', 'recall', 'f1']);
    assert.equal(csv.at(-1)![0], '(micro average = accuracy)');
    assert.equal(csv.at(-1)![1], String(testCount));
    for (const [name, n] of Object.entries(supports)) assert.equal(csv.find((r) => r[0] === name)?.[1], String(n), name);
  });

  flow('relabel: a accepts the prediction, z undoes it, both in the label history; k keeps a label', { predictions: true }, async ({ page, readDb, text }) => {
    await page.getByRole('link', { name: 'Relabel' }).click();
    const count = async () => Number(/^(\d+) specimens? to review/.exec(await text('.queue-count'))?.[1]);
    await page.locator('.queue-count', { hasText: /\d+ specimens? to review/ }).waitFor();
    const before = await count();
    assert.ok(before > 0, 'the model is unsure of, or wrong about, something');
    const first = page.locator('.relabel-item').first();
    const id = Number(await first.getAttribute('data-specimen-id'));
    const label = (await first.locator('.label-text').textContent())!;
    const predicted = (await first.locator('.predicted-text').textContent())!;
    await first.click();
    await page.locator('.probability-bars tbody tr').nth(6).waitFor();
    await imageLoaded(page, '.relabel-image');

    await page.keyboard.press('a');
    await page.locator('.notice', { hasText: `Accept the prediction ${predicted}` }).waitFor();
    await page.locator('.queue-count', { hasText: `${before - 1} specimen` }).waitFor();
    await page.locator('.undo-what', { hasText: `z would undo: accept the prediction ${predicted}` }).waitFor();
    const labelOf = () => readDb((db) => (db.prepare('SELECT c.name FROM specimens s LEFT JOIN classes c ON c.id = s.label_class_id WHERE s.id = ?').get(id) as { name: string | null }).name);
    assert.equal(labelOf(), predicted);
    assert.deepEqual(
      readDb((db) => db.prepare("SELECT source, kind FROM label_ops ORDER BY id DESC LIMIT 1").get()),
      { source: 'model', kind: 'review-accept' },
    );

    await page.keyboard.press('z');
    await page.locator('.notice', { hasText: `Undid “accept the prediction ${predicted}` }).waitFor();
    await page.locator('.queue-count', { hasText: `${before} specimen` }).waitFor();
    assert.equal(labelOf(), label === 'unlabeled' ? null : label);
    // Back at the top of the queue, with both changes in its history: the acceptance and its undo.
    await page.locator(`.relabel-item.is-current[data-specimen-id="${id}"]`).waitFor();
    const history = page.locator('.relabel-history li');
    await history.nth(1).waitFor();
    assert.equal(await history.nth(0).getAttribute('data-source'), 'undo');
    assert.match((await history.nth(0).textContent())!, new RegExp(`${predicted} → ${label}`));
    assert.equal(await history.nth(1).getAttribute('data-source'), 'model');
    assert.match((await history.nth(1).textContent())!, new RegExp(`${label} → ${predicted}.*accept the prediction`));
    await screenshot(page, '09-relabel');

    await page.keyboard.press('k');
    await page.locator('.queue-count', { hasText: `${before - 1} specimen` }).waitFor();
    assert.equal(labelOf(), label === 'unlabeled' ? null : label);
    assert.equal(await page.locator(`.relabel-item[data-specimen-id="${id}"]`).count(), 0, 'a kept specimen leaves the queue');
  });

  flow('batch classification: a folder of minerals7 class folders → progress, results table with accuracy, CSV file, output folder', { model: true }, async ({ page, harness }) => {
    const folder = path.join(harness.dir, 'new-photos');
    for (const cls of ['malachite', 'pyrite']) {
      fs.mkdirSync(path.join(folder, cls), { recursive: true });
      for (const f of fs.readdirSync(path.join(MINERALS7, cls)).sort().slice(0, 5)) fs.copyFileSync(path.join(MINERALS7, cls, f), path.join(folder, cls, f));
    }
    await page.getByRole('link', { name: 'Batch classification' }).click();
    await page.locator('#batch-folder').fill(folder);
    assert.equal(await page.locator('#batch-csv').getAttribute('placeholder'), path.join(`${folder}-orelab`, 'predictions.csv'));
    await page.getByLabel('Sort the photos into a folder per class').check();
    await page.getByRole('button', { name: 'Classify', exact: true }).click();
    const result = page.locator('.batch-result');
    await result.waitFor({ timeout: 300_000 });
    assert.match((await result.locator('.summary-line').textContent())!, /10 photos classified|\d+ photos? classified, \d+ done earlier/);
    const predicted = (await page.locator('.batch-table .predicted').allTextContents()).map(Number);
    assert.equal(predicted.length, 7);
    assert.equal(predicted.reduce((a, b) => a + b, 0), 10);
    await result.locator('.batch-accuracy', { hasText: 'over 10 photos in class folders' }).waitFor();

    const csvFile = path.join(`${folder}-orelab`, 'predictions.csv');
    const rows = parseCsv(fs.readFileSync(csvFile, 'utf8'));
    const header = rows[0]!;
    assert.deepEqual(header.slice(0, 5), ['path', 'sha256', 'predicted', 'confidence', 'top3']);
    assert.equal(header.filter((h) => h.startsWith('p_')).length, 7);
    assert.equal(rows.length, 11, 'one row per photo');
    const col = (name: string) => header.indexOf(name);
    for (const row of rows.slice(1)) {
      assert.ok(row[col('path')]!.startsWith(folder), row[col('path')]);
      assert.equal(row[col('label')], path.basename(path.dirname(row[col('path')]!)), 'the class folder is the label');
      const p = header.map((h, i) => (h.startsWith('p_') ? Number(row[i]) : NaN)).filter((x) => !Number.isNaN(x));
      assert.ok(Math.abs(p.reduce((a, b) => a + b, 0) - 1) < 1e-3, 'probabilities sum to 1');
      assert.equal(row[col('predicted')], header[header.indexOf(`p_${row[col('predicted')]}`)]!.slice(2));
    }
    const sorted = fs.readdirSync(path.join(`${folder}-orelab`, 'sorted'), { recursive: true }).filter((f) => String(f).endsWith('.jpg'));
    assert.equal(sorted.length, 10);

    await page.getByRole('button', { name: 'Open the output folder' }).click();
    await page.locator('.shown-path', { hasText: `${folder}-orelab` }).waitFor();
    await screenshot(page, '10-batch-classification');
  });

  flow(
    'catalogue detail: the CBAM attention overlay of the MA-ViT model; the prediction filters now have data; ? shows the shortcuts',
    { predictions: true },
    async ({ page, readDb }) => {
      await resultCount(page).filter({ hasText: '804 specimens' }).waitFor();
      await page.getByLabel('Prediction ≠ label').check();
      const mismatches = readDb(
        (db) =>
          (
            db
              .prepare(
                `SELECT COUNT(*) AS n FROM predictions p JOIN specimens s ON s.id = p.specimen_id JOIN classes c ON c.id = s.label_class_id
                  WHERE p.predicted_class <> c.name COLLATE NOCASE`,
              )
              .get() as { n: number }
          ).n,
      );
      assert.ok(mismatches > 0);
      await resultCount(page).filter({ hasText: `${mismatches} specimen` }).waitFor();
      await page.locator('.cell[data-index="0"]').click();
      const panel = page.locator('.detail-panel');
      await imageLoaded(page, '.detail-panel .detail-image img');
      await panel.getByLabel('Attention overlay (CBAM)').check();
      await panel.locator('[data-testid="attention-overlay"]').waitFor();
      // The legend says what is drawn: the applied gate on the fixed 0.5–1.5 scale, never the map's own range; and the
      // tiny model's untrained residual gate is exactly 1, so the panel says in words that CBAM changes nothing.
      const legend = panel.locator('[data-testid="attention-legend"]');
      await legend.filter({ hasText: 'It predicts' }).waitFor();
      await legend.filter({ hasText: 'on a fixed scale: 1 = no change (clear), 0.5–1.5, clamped beyond' }).waitFor();
      await legend.filter({ hasText: 'The channel gate is not shown yet' }).waitFor();
      await panel.getByText('CBAM leaves this photo almost unchanged: its gate is 1.0000 everywhere.').waitFor();
      await panel.locator('[data-testid="attention-overlay"].faint').waitFor();
      const box = await panel.locator('[data-testid="attention-overlay"]').boundingBox();
      const image = await panel.locator('.detail-image').boundingBox();
      assert.ok(box && image && box.width > 20 && box.width <= image.width + 1 && box.height <= image.height + 1, 'the overlay covers the centre crop inside the image box');
      await screenshot(page, '11-catalogue-attention');
      await page.getByLabel('Prediction ≠ label').uncheck();
      await resultCount(page).filter({ hasText: '804 specimens' }).waitFor();

      await page.locator('.cell[data-index="0"]').click();
      await page.keyboard.press('?');
      await page.getByRole('dialog', { name: 'Keyboard shortcuts' }).waitFor();
      await screenshot(page, '12-shortcuts');
      await page.keyboard.press('Escape');
      await page.getByRole('dialog', { name: 'Keyboard shortcuts' }).waitFor({ state: 'hidden' });
    },
  );

  flow('training: a tiny real MA-ViT run (ViT-Ti backbone, 32 px, 6 photos per class, 2 epochs) with live curves and the kept checkpoint', { split: true }, async ({ page, harness, readDb, text }) => {
    await page.getByRole('link', { name: 'Training' }).click();
    await page.locator('.topbar-title', { hasText: 'Training' }).waitFor();
    await page.getByText('No training runs yet.').waitFor();
    assert.equal(await page.locator('#train-variant').inputValue(), 'mavit');
    assert.equal(await page.locator('#train-backbone').inputValue(), 'vit-ti');
    await page.getByText('Quick trial run and recipe').click();
    await page.locator('#train-size').selectOption('32');
    await page.locator('#train-limit').fill('6');
    await page.locator('#train-epochs').fill('2');
    await page.locator('#train-batch').fill('4');
    await page.locator('#train-lr').fill('0.0001');
    await page.locator('#train-device').selectOption('cpu');
    const outDir = await page.locator('#train-out').inputValue();
    assert.ok(outDir.startsWith(harness.dir), outDir);
    await page.getByRole('button', { name: 'Start training' }).click();
    // The real trainer runs in the harness (the engine's worker); slow machines get time, not a clock.
    await page.locator('.result-line', { hasText: 'Model saved' }).waitFor({ timeout: 600_000 });
    await page.locator('.epochs-table tbody tr').nth(1).waitFor();
    assert.equal(await page.locator('.epochs-table tbody tr').count(), 2);
    await page.locator('.kept-line', { hasText: /Kept checkpoint: epoch [12]/ }).waitFor();
    assert.equal(await page.locator('.line-chart svg').count(), 2);
    assert.ok((await page.locator('.series-val circle').count()) >= 2, 'validation points are drawn');
    await page.locator('.runs-table tbody tr .run-status', { hasText: 'completed' }).waitFor();

    const run = readDb((db) => db.prepare('SELECT id, status, out_dir AS outDir, best_epoch AS bestEpoch FROM training_runs').all()) as { id: number; status: string; outDir: string; bestEpoch: number }[];
    assert.equal(run.length, 1);
    assert.equal(run[0]!.status, 'completed');
    assert.equal(run[0]!.outDir, outDir);
    assert.match(await text('.kept-line'), new RegExp(`epoch ${run[0]!.bestEpoch + 1}`));
    const models = readDb((db) => db.prepare('SELECT id, run_id AS runId FROM models').all()) as { id: string; runId: number }[];
    assert.deepEqual(models.map((m) => m.runId), [run[0]!.id]);
    await screenshot(page, '07-training');

    // The new model's report is one click away: not evaluated yet.
    await page.getByRole('button', { name: 'Open the report' }).click();
    await page.locator('.topbar-title', { hasText: 'Reports' }).waitFor();
    assert.equal(await page.locator('#report-model').inputValue(), models[0]!.id);
    const testCount = readDb((db) => (db.prepare("SELECT COUNT(*) AS n FROM specimens WHERE split = 'test'").get() as { n: number }).n);
    await page.locator('.evaluate-hint', { hasText: `${testCount} test specimens have no prediction` }).waitFor();

    // Back on Training: a fresh folder is suggested after a run, so the next one never overwrites its model, and
    // the trial settings survive the page switch.
    await page.getByRole('link', { name: 'Training' }).click();
    await valueChangesFrom(page, '#train-out', outDir);
    assert.notEqual(await page.locator('#train-out').inputValue(), run[0]!.outDir, 'a fresh folder is suggested after a run');
    assert.equal(await page.locator('#train-size').inputValue(), '32');
    assert.equal(await page.locator('#train-limit').inputValue(), '6');
    assert.equal(await page.locator('#train-device').inputValue(), 'cpu');
  });
});
