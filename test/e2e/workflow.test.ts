// The lab workflow in real Chromium against the real harness and services, on minerals7:
// import → catalogue grid, filters, detail → label one and several by keyboard → undo → classes → rebalancing
// (split) → a tiny real training run → report (evaluate on test) → a confusion cell's photos → relabel with
// accept and undo → batch classification of a folder → CSV → the attention overlay.
// Steps run in order and share one browser; every page is saved to e2e-screenshots/.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { Page } from 'playwright-core';
import { CONTENT_SECURITY_POLICY } from '../../src/main/app/security';
import { parseCsv } from '../../src/main/jobs/classify/csv';
import { MINERALS7 } from '../helpers/fs';
import { cspViolations, imageLoaded, openBrowser, screenshot, startHarness, type Browser, type RunningHarness } from './support';

let harness: RunningHarness;
let browser: Browser;
let page: Page;

const COUNTS = { biotite: 58, bornite: 144, chrysocolla: 138, malachite: 198, muscovite: 65, pyrite: 82, quartz: 119 };

before(async () => {
  harness = await startHarness();
  browser = await openBrowser(harness.url);
  page = browser.page;
});
after(async () => {
  await browser?.close();
  await harness?.stop();
});

const text = async (selector: string) => (await page.locator(selector).first().textContent())?.trim() ?? '';
const paletteCount = (cls: string) => page.locator(`.palette-item[data-class="${cls}"] .count`);
const resultCount = () => page.locator('.result-count');

function readDb<T>(fn: (db: Database.Database) => T): T {
  const db = new Database(harness.dbPath, { readonly: true });
  try {
    return fn(db);
  } finally {
    db.close();
  }
}

test('the empty app: the frame, every page in the navigation, the CSP header', async () => {
  const response = await page.request.get(harness.url);
  assert.equal(response.headers()['content-security-policy'], CONTENT_SECURITY_POLICY);
  const nav = page.getByRole('navigation', { name: 'Pages' });
  for (const name of ['Catalogue', 'Labeling', 'Rebalancing', 'Training', 'Reports', 'Relabel', 'Batch classification']) {
    await nav.getByRole('link', { name: new RegExp(`^${name}`) }).waitFor();
  }
  await page.getByText('This catalogue has no specimens yet.').waitFor();
  assert.equal(await text('.topbar-summary'), '0 specimens · 0 classes');
  await screenshot(page, '00-empty-catalogue');
});

test('import minerals7 with labels from the class folders', async () => {
  await page.getByRole('button', { name: 'Import folder…' }).click();
  const dialog = page.getByRole('dialog', { name: 'Import folder' });
  await dialog.getByLabel('Folder with photos').fill(MINERALS7);
  await dialog.getByLabel(/sub-folder names as class labels/).check();
  await dialog.getByRole('button', { name: 'Import', exact: true }).click();
  const summary = dialog.locator('.summary-line');
  await summary.waitFor();
  assert.match((await summary.textContent()) ?? '', /Imported: 804 new specimens, 0 already catalogued, 0 failed, 2 non-image files skipped/);
  await dialog.getByText('804 specimens labeled from their folder names.').waitFor();
  await screenshot(page, '01-import-done');
  await dialog.getByRole('button', { name: 'Done' }).click();
  await page.locator('.topbar-summary', { hasText: '804 specimens · 7 classes' }).waitFor();
  const perClass = readDb((db) =>
    Object.fromEntries((db.prepare('SELECT c.name, COUNT(*) AS n FROM specimens s JOIN classes c ON c.id = s.label_class_id GROUP BY c.name').all() as { name: string; n: number }[]).map((r) => [r.name, r.n])),
  );
  assert.deepEqual(perClass, COUNTS);
});

test('catalogue: a windowed grid of real thumbnails, class / split / prediction filters', async () => {
  await resultCount().filter({ hasText: '804 specimens' }).waitFor();
  const cells = await page.locator('.cell').count();
  assert.ok(cells > 0 && cells < 200, `the grid renders only the visible rows, not all 804 (rendered ${cells})`);
  await imageLoaded(page, '.cell[data-index="0"] img');

  await page.locator('#catalogue-filter-class').selectOption({ label: 'muscovite (65)' });
  await resultCount().filter({ hasText: '65 specimens' }).waitFor();
  await page.locator('.cell[data-index="0"] .chip', { hasText: 'muscovite' }).waitFor();
  const labels = await page.locator('.cell .chip').allTextContents();
  assert.ok(labels.length > 0 && labels.every((l) => l === 'muscovite'), labels.join(','));
  await screenshot(page, '02-catalogue-filtered');

  await page.locator('#catalogue-filter-split').selectOption('train');
  await resultCount().filter({ hasText: '0 specimens' }).waitFor();
  await page.getByText('No specimens match these filters.').waitFor();
  await page.locator('#catalogue-filter-split').selectOption('unassigned');
  await resultCount().filter({ hasText: '65 specimens' }).waitFor();
  await page.getByRole('button', { name: 'Clear filters' }).click();
  await resultCount().filter({ hasText: '804 specimens' }).waitFor();

  // The prediction filters read the predictions table, which is empty until a model has run.
  await page.getByLabel('Prediction ≠ label').check();
  await resultCount().filter({ hasText: '0 specimens' }).waitFor();
  await page.getByText(/No model has classified this catalogue yet/).waitFor();
  await page.getByLabel('Prediction ≠ label').uncheck();
  await page.getByLabel('Minimum confidence, percent').fill('50');
  await resultCount().filter({ hasText: '0 specimens' }).waitFor();
  await page.getByRole('button', { name: 'Clear filters' }).click();
  await resultCount().filter({ hasText: '804 specimens' }).waitFor();
});

test('detail panel: full image, metadata edits, label history; search by sample code', async () => {
  await page.locator('.cell[data-index="2"]').click();
  const panel = page.locator('.detail-panel');
  await panel.waitFor();
  await imageLoaded(page, '.detail-panel .detail-image img');
  await panel.getByText('from import folder').waitFor();
  await panel.getByText('Attention overlay (CBAM)').waitFor();
  await panel.getByLabel('Sample code').fill('MV-0001');
  await panel.getByLabel('Site').fill('North pit, bench 4');
  await panel.getByRole('button', { name: 'Save' }).click();
  await page.locator('.notice', { hasText: 'Metadata saved' }).waitFor();
  await panel.locator('h2', { hasText: 'MV-0001' }).waitFor();
  await screenshot(page, '03-catalogue-detail');

  await page.getByLabel('Search by sample code').fill('mv-00');
  await resultCount().filter({ hasText: /^1 specimen$/ }).waitFor();
  await page.locator('.cell[data-index="0"] .cell-name', { hasText: 'MV-0001' }).waitFor();
  assert.deepEqual(
    readDb((db) => db.prepare("SELECT sample_code, site FROM specimens WHERE sample_code IS NOT NULL").all()),
    [{ sample_code: 'MV-0001', site: 'North pit, bench 4' }],
  );
  await page.getByRole('button', { name: 'Clear filters' }).click();
  await resultCount().filter({ hasText: '804 specimens' }).waitFor();
});

test('labeling: one by a digit key, several by shift+arrows and ctrl+click, undo with z', async () => {
  await page.getByRole('link', { name: 'Labeling' }).click();
  await page.locator('#labeling-filter-class').selectOption({ label: 'biotite (58)' });
  await resultCount().filter({ hasText: '58 specimens' }).waitFor();
  const palette = page.locator('.palette-item kbd');
  assert.deepEqual((await palette.allTextContents()).slice(0, 7), ['1', '2', '3', '4', '5', '6', '7']);

  // One specimen: click it, press 7 (quartz). It leaves the biotite list and the next one takes its place.
  const first = await page.locator('.cell[data-index="0"]').getAttribute('data-specimen-id');
  await page.locator('.cell[data-index="0"]').click();
  await page.keyboard.press('7');
  await paletteCount('quartz').filter({ hasText: '120' }).waitFor();
  await paletteCount('biotite').filter({ hasText: '57' }).waitFor();
  await resultCount().filter({ hasText: '57 specimens' }).waitFor();
  assert.notEqual(await page.locator('.cell[data-index="0"]').getAttribute('data-specimen-id'), first);

  // Several: shift+arrows extend the selection from the cursor; 5 labels all three muscovite.
  await page.locator('.cell[data-index="0"]').click();
  await page.keyboard.press('Shift+ArrowRight');
  await page.keyboard.press('Shift+ArrowRight');
  await page.locator('.selection-count', { hasText: '3 specimens selected' }).waitFor();
  assert.equal(await page.locator('.cell.selected').count(), 3);
  await screenshot(page, '04-labeling-selection');
  await page.keyboard.press('5');
  await paletteCount('muscovite').filter({ hasText: '68' }).waitFor();
  await paletteCount('biotite').filter({ hasText: '54' }).waitFor();

  // z undoes the bulk label: all three are biotite again.
  await page.keyboard.press('z');
  await paletteCount('biotite').filter({ hasText: '57' }).waitFor();
  await paletteCount('muscovite').filter({ hasText: '65' }).waitFor();
  await page.locator('.undo-what', { hasText: 'label 1 as quartz' }).waitFor();

  // Ctrl+click picks specimens that are not next to each other.
  await page.locator('.cell[data-index="1"]').click();
  await page.locator('.cell[data-index="4"]').click({ modifiers: ['Control'] });
  await page.locator('.selection-count', { hasText: '2 specimens selected' }).waitFor();
  await page.keyboard.press('6');
  await paletteCount('pyrite').filter({ hasText: '84' }).waitFor();
  await page.keyboard.press('z');
  await paletteCount('pyrite').filter({ hasText: '82' }).waitFor();
  await paletteCount('biotite').filter({ hasText: '57' }).waitFor();

  const ops = readDb((db) => db.prepare("SELECT description, source, undone_by IS NOT NULL AS undone FROM label_ops WHERE kind != 'import' ORDER BY id").all());
  assert.deepEqual(ops, [
    { description: 'label 1 as quartz', source: 'manual', undone: 0 },
    { description: 'label 3 as muscovite', source: 'manual', undone: 1 },
    { description: 'undo: label 3 as muscovite', source: 'undo', undone: 0 },
    { description: 'label 2 as pyrite', source: 'manual', undone: 1 },
    { description: 'undo: label 2 as pyrite', source: 'undo', undone: 0 },
  ]);
});

test('classes: add, rename, label into the new class, merge it into another', async () => {
  await page.locator('#labeling-filter-class').selectOption('');
  await resultCount().filter({ hasText: '804 specimens' }).waitFor();
  await page.getByLabel('New class name').fill('galena');
  await page.getByRole('button', { name: 'Add', exact: true }).click();
  await paletteCount('galena').filter({ hasText: '0' }).waitFor();

  await page.getByLabel('Class to rename').selectOption({ label: 'galena (0)' });
  await page.getByLabel('New name').fill('galena (PbS)');
  await page.getByRole('button', { name: 'Rename', exact: true }).click();
  await paletteCount('galena (PbS)').waitFor();
  assert.equal(await page.locator('.palette-item[data-class="galena"]').count(), 0);

  // galena (PbS) sorts 4th: key 4.
  assert.equal(await page.locator('.palette-item').nth(3).getAttribute('data-class'), 'galena (PbS)');
  await page.locator('.cell[data-index="0"]').click();
  await page.keyboard.press('Shift+ArrowDown');
  const selected = Number(/(\d+) specimens selected/.exec(await text('.selection-count'))?.[1]);
  assert.ok(selected > 2, `shift+down selects a row and more (${selected})`);
  await page.keyboard.press('4');
  await paletteCount('galena (PbS)').filter({ hasText: String(selected) }).waitFor();
  await screenshot(page, '05-labeling-classes');

  const quartzBefore = Number(await paletteCount('quartz').textContent());
  await page.getByLabel('Class to merge').selectOption({ label: `galena (PbS) (${selected})` });
  await page.getByLabel('Merge into').selectOption({ label: `quartz (${quartzBefore})` });
  await page.getByRole('button', { name: 'Merge', exact: true }).click();
  await paletteCount('quartz').filter({ hasText: String(quartzBefore + selected) }).waitFor();
  assert.equal(await page.locator('.palette-item[data-class="galena (PbS)"]').count(), 0);
  await page.locator('.topbar-summary', { hasText: '804 specimens · 7 classes' }).waitFor();
});

test('rebalancing: weights are N/(C·n_i), warnings, the split assigns every class to every split', async () => {
  await page.getByRole('link', { name: 'Rebalancing' }).click();
  const rows = page.locator('.weights-table tbody tr');
  await rows.first().waitFor();
  await page.locator('.warning-unassigned', { hasText: 'have no split yet' }).waitFor();

  const checkWeights = async () => {
    const n = await rows.locator('.count').allTextContents();
    const w = await rows.locator('.weight-inverse').allTextContents();
    const counts = n.map((x) => Number(x.replace(/,/g, '')));
    const total = counts.reduce((a, b) => a + b, 0);
    assert.equal(counts.length, 7);
    counts.forEach((ni, i) => {
      const expected = ni > 0 ? total / (counts.length * ni) : 0;
      assert.ok(Math.abs(Number(w[i]) - expected) < 0.0006, `class ${i}: shown ${w[i]}, N/(C·n_i) = ${expected}`);
    });
    return counts;
  };
  const labeled = await checkWeights();
  assert.equal(labeled.reduce((a, b) => a + b, 0), 804);

  await page.getByLabel('Seed').fill('7');
  await page.getByRole('button', { name: 'Assign splits' }).click();
  await page.locator('.split-result', { hasText: '804 specimens assigned, 0 kept their split' }).waitFor();
  await page.locator('.warning-unassigned').waitFor({ state: 'detached' });

  const splitRows = page.locator('.split-table tbody tr');
  await splitRows.first().locator('.train').filter({ hasNotText: /^0$/ }).waitFor();
  for (let i = 0; i < (await splitRows.count()); i++) {
    const row = splitRows.nth(i);
    const [train, val, test, none, total] = await Promise.all(['.train', '.val', '.test', '.unassigned', '.total'].map(async (c) => Number((await row.locator(c).textContent())!.replace(/,/g, ''))));
    assert.equal(train! + val! + test!, total, `row ${i}`);
    assert.equal(none, 0);
    assert.ok(val! > 0 && test! > 0 && train! >= 20, `row ${i}: ${train}/${val}/${test}`);
    assert.ok(Math.abs(train! / total! - 0.8) < 0.05, `row ${i} is split about 8:1:1`);
  }
  // After the split, weights come from the training counts, with the same formula.
  assert.equal(await page.locator('#weights-basis').inputValue(), 'train');
  await checkWeights();
  assert.equal(readDb((db) => (db.prepare('SELECT COUNT(*) AS n FROM specimens WHERE split IS NULL').get() as { n: number }).n), 0);

  await page.setViewportSize({ width: 1400, height: 1560 });
  await screenshot(page, '06-rebalancing');
  await page.setViewportSize({ width: 1400, height: 880 });
});

test('training: a tiny real MA-ViT run (ViT-Ti backbone, 32 px, 6 photos per class, 2 epochs) with live curves and the kept checkpoint', async () => {
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
});

test('reports: evaluate the model on the test split, per-class table, a confusion cell opens its photos, CSV export', async () => {
  await page.getByRole('button', { name: 'Open the report' }).click();
  await page.locator('.topbar-title', { hasText: 'Reports' }).waitFor();
  const testCount = readDb((db) => (db.prepare("SELECT COUNT(*) AS n FROM specimens WHERE split = 'test'").get() as { n: number }).n);
  await page.locator('.evaluate-hint', { hasText: `${testCount} test specimens have no prediction` }).waitFor();
  await page.getByRole('button', { name: 'Evaluate on the test split' }).click();
  const rows = page.locator('.per-class-table tbody tr');
  await rows.nth(6).waitFor({ timeout: 300_000 });
  assert.equal(await rows.count(), 7);

  // The table and the matrix agree with the catalogue: supports are the test split's labels.
  const supports = readDb((db) =>
    Object.fromEntries((db.prepare("SELECT c.name, COUNT(*) AS n FROM specimens s JOIN classes c ON c.id = s.label_class_id WHERE s.split = 'test' GROUP BY c.name").all() as { name: string; n: number }[]).map((r) => [r.name, r.n])),
  );
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

test('relabel: a accepts the prediction, z undoes it, both in the label history; k keeps a label', async () => {
  await page.getByRole('link', { name: 'Relabel' }).click();
  const count = async () => Number(/^(\d+) specimens? to review/.exec(await text('.queue-count'))?.[1]);
  await page.locator('.queue-count', { hasText: /\d+ specimens? to review/ }).waitFor();
  const before = await count();
  assert.ok(before > 0, 'a 2-epoch model is unsure of, or wrong about, something');
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

test('batch classification: a folder of minerals7 class folders → progress, results table with accuracy, CSV file, output folder', async () => {
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

test('catalogue detail: the CBAM attention overlay of the MA-ViT model; the prediction filters now have data', async () => {
  await page.getByRole('link', { name: 'Catalogue' }).click();
  await page.getByLabel('Prediction ≠ label').check();
  const mismatches = readDb((db) =>
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
  await resultCount().filter({ hasText: `${mismatches} specimen` }).waitFor();
  await page.locator('.cell[data-index="0"]').click();
  const panel = page.locator('.detail-panel');
  await imageLoaded(page, '.detail-panel .detail-image img');
  await panel.getByLabel('Attention overlay (CBAM)').check();
  await panel.locator('[data-testid="attention-overlay"]').waitFor();
  await panel.locator('.attention-legend', { hasText: 'it predicts' }).waitFor();
  const box = await panel.locator('[data-testid="attention-overlay"]').boundingBox();
  const image = await panel.locator('.detail-image').boundingBox();
  assert.ok(box && image && box.width > 20 && box.width <= image.width + 1 && box.height <= image.height + 1, 'the overlay covers the centre crop inside the image box');
  await screenshot(page, '11-catalogue-attention');
  await page.getByLabel('Prediction ≠ label').uncheck();
  await resultCount().filter({ hasText: '804 specimens' }).waitFor();

  await page.locator('.cell[data-index="0"]').click();
  await page.keyboard.press('?');
  await page.getByRole('dialog', { name: 'Keyboard shortcuts' }).waitFor();
  await screenshot(page, '12-shortcuts');
  await page.keyboard.press('Escape');
});

test('training: a second run stopped mid-way resumes from its checkpoint; two models side by side in Reports', async () => {
  await page.getByRole('link', { name: 'Training' }).click();
  const outDir = await page.locator('#train-out').inputValue();
  const first = readDb((db) => (db.prepare('SELECT out_dir AS outDir FROM training_runs WHERE id = 1').get() as { outDir: string }).outDir);
  assert.notEqual(outDir, first, 'a fresh folder is suggested after a run, so the next one never overwrites its model');
  // The trial settings are kept from the first run; more epochs leave room to stop in the middle.
  assert.equal(await page.locator('#train-size').inputValue(), '32');
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

test('no CSP violations, page errors or failed requests during the whole flow', async () => {
  assert.deepEqual(await cspViolations(page), []);
  assert.deepEqual(browser.problems, [], browser.problems.join('\n'));
});
