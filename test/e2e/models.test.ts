// The pages that use a model: Reports (evaluate on the test split, a confusion cell's photos, CSV export),
// Relabel (accept, undo, keep) and Batch classification. Each flow starts from its own split catalogue with a
// tiny exported MA-ViT registered (fixtures.ts), not from a model trained by another flow.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { parseCsv } from '../../src/main/jobs/classify/csv';
import { MINERALS7 } from '../helpers/fs';
import { countsBy, flow, flows } from './fixtures';
import { imageLoaded, screenshot } from './support';

flows('Reports, Relabel and Batch classification with a model', () => {
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
});
