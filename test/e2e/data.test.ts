// The app frame, import, and the pages over the catalogue's own data (Catalogue, Labeling, Rebalancing) in
// Chromium against the harness. Each flow starts from its own catalogue (catalogues.ts), harness and browser
// context (fixtures.ts), so one failure hides nothing else. Screenshots go to e2e-screenshots/.
import assert from 'node:assert/strict';
import { CONTENT_SECURITY_POLICY } from '../../src/main/app/security';
import { MINERALS7 } from '../helpers/fs';
import { COUNTS, countsBy, flow, flows, paletteCount, resultCount } from './fixtures';
import { imageLoaded, screenshot } from './support';

// Flows run two at a time in the order written: the first flow on an imported catalogue comes first, so that
// the catalogue's import (through the service) does not run beside the import dialog's.
flows('the app frame, import, Catalogue, Labeling and Rebalancing', () => {
  flow('catalogue: a windowed grid of real thumbnails, class / split / prediction filters', { imported: true }, async ({ page }) => {
    await resultCount(page).filter({ hasText: '804 specimens' }).waitFor();
    const cells = await page.locator('.cell').count();
    assert.ok(cells > 0 && cells < 200, `the grid renders only the visible rows, not all 804 (rendered ${cells})`);
    await imageLoaded(page, '.cell[data-index="0"] img');

    await page.locator('#catalogue-filter-class').selectOption({ label: 'muscovite (65)' });
    await resultCount(page).filter({ hasText: '65 specimens' }).waitFor();
    await page.locator('.cell[data-index="0"] .chip', { hasText: 'muscovite' }).waitFor();
    const labels = await page.locator('.cell .chip').allTextContents();
    assert.ok(labels.length > 0 && labels.every((l) => l === 'muscovite'), labels.join(','));
    await screenshot(page, '02-catalogue-filtered');

    await page.locator('#catalogue-filter-split').selectOption('train');
    await resultCount(page).filter({ hasText: '0 specimens' }).waitFor();
    await page.getByText('No specimens match these filters.').waitFor();
    await page.locator('#catalogue-filter-split').selectOption('unassigned');
    await resultCount(page).filter({ hasText: '65 specimens' }).waitFor();
    await page.getByRole('button', { name: 'Clear filters' }).click();
    await resultCount(page).filter({ hasText: '804 specimens' }).waitFor();

    // The prediction filters read the predictions table, which is empty until a model has run.
    await page.getByLabel('Prediction ≠ label').check();
    await resultCount(page).filter({ hasText: '0 specimens' }).waitFor();
    await page.getByText(/No model has classified this catalogue yet/).waitFor();
    await page.getByLabel('Prediction ≠ label').uncheck();
    await page.getByLabel('Minimum confidence, percent').fill('50');
    await resultCount(page).filter({ hasText: '0 specimens' }).waitFor();
    await page.getByRole('button', { name: 'Clear filters' }).click();
    await resultCount(page).filter({ hasText: '804 specimens' }).waitFor();
  });

  flow('the empty app: the frame, every page in the navigation, the CSP header', {}, async ({ page, harness, text }) => {
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

  flow('detail panel: full image, metadata edits, label history; search by sample code', { imported: true }, async ({ page, readDb }) => {
    await resultCount(page).filter({ hasText: '804 specimens' }).waitFor();
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
    await resultCount(page).filter({ hasText: /^1 specimen$/ }).waitFor();
    await page.locator('.cell[data-index="0"] .cell-name', { hasText: 'MV-0001' }).waitFor();
    assert.deepEqual(
      readDb((db) => db.prepare('SELECT sample_code, site FROM specimens WHERE sample_code IS NOT NULL').all()),
      [{ sample_code: 'MV-0001', site: 'North pit, bench 4' }],
    );
    await page.getByRole('button', { name: 'Clear filters' }).click();
    await resultCount(page).filter({ hasText: '804 specimens' }).waitFor();
  });

  flow('import minerals7 with labels from the class folders', {}, async ({ page, readDb }) => {
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
    await resultCount(page).filter({ hasText: '804 specimens' }).waitFor();
    const perClass = readDb((db) => countsBy(db, 'SELECT c.name, COUNT(*) AS n FROM specimens s JOIN classes c ON c.id = s.label_class_id GROUP BY c.name'));
    assert.deepEqual(perClass, COUNTS);
  });

  flow('labeling: one by a digit key, several by shift+arrows and ctrl+click, undo with z', { imported: true }, async ({ page, readDb }) => {
    await page.getByRole('link', { name: 'Labeling' }).click();
    await page.locator('#labeling-filter-class').selectOption({ label: 'biotite (58)' });
    await resultCount(page).filter({ hasText: '58 specimens' }).waitFor();
    const palette = page.locator('.palette-item kbd');
    assert.deepEqual((await palette.allTextContents()).slice(0, 7), ['1', '2', '3', '4', '5', '6', '7']);

    // One specimen: click it, press 7 (quartz). It leaves the biotite list and the next one takes its place.
    const first = await page.locator('.cell[data-index="0"]').getAttribute('data-specimen-id');
    await page.locator('.cell[data-index="0"]').click();
    await page.keyboard.press('7');
    await paletteCount(page, 'quartz').filter({ hasText: '120' }).waitFor();
    await paletteCount(page, 'biotite').filter({ hasText: '57' }).waitFor();
    await resultCount(page).filter({ hasText: '57 specimens' }).waitFor();
    assert.notEqual(await page.locator('.cell[data-index="0"]').getAttribute('data-specimen-id'), first);

    // Several: shift+arrows extend the selection from the cursor; 5 labels all three muscovite.
    await page.locator('.cell[data-index="0"]').click();
    await page.keyboard.press('Shift+ArrowRight');
    await page.keyboard.press('Shift+ArrowRight');
    await page.locator('.selection-count', { hasText: '3 specimens selected' }).waitFor();
    assert.equal(await page.locator('.cell.selected').count(), 3);
    await screenshot(page, '04-labeling-selection');
    await page.keyboard.press('5');
    await paletteCount(page, 'muscovite').filter({ hasText: '68' }).waitFor();
    await paletteCount(page, 'biotite').filter({ hasText: '54' }).waitFor();

    // z undoes the bulk label: all three are biotite again.
    await page.keyboard.press('z');
    await paletteCount(page, 'biotite').filter({ hasText: '57' }).waitFor();
    await paletteCount(page, 'muscovite').filter({ hasText: '65' }).waitFor();
    await page.locator('.undo-what', { hasText: 'label 1 as quartz' }).waitFor();

    // Ctrl+click picks specimens that are not next to each other.
    await page.locator('.cell[data-index="1"]').click();
    await page.locator('.cell[data-index="4"]').click({ modifiers: ['Control'] });
    await page.locator('.selection-count', { hasText: '2 specimens selected' }).waitFor();
    await page.keyboard.press('6');
    await paletteCount(page, 'pyrite').filter({ hasText: '84' }).waitFor();
    await page.keyboard.press('z');
    await paletteCount(page, 'pyrite').filter({ hasText: '82' }).waitFor();
    await paletteCount(page, 'biotite').filter({ hasText: '57' }).waitFor();

    const ops = readDb((db) => db.prepare("SELECT description, source, undone_by IS NOT NULL AS undone FROM label_ops WHERE kind != 'import' ORDER BY id").all());
    assert.deepEqual(ops, [
      { description: 'label 1 as quartz', source: 'manual', undone: 0 },
      { description: 'label 3 as muscovite', source: 'manual', undone: 1 },
      { description: 'undo: label 3 as muscovite', source: 'undo', undone: 0 },
      { description: 'label 2 as pyrite', source: 'manual', undone: 1 },
      { description: 'undo: label 2 as pyrite', source: 'undo', undone: 0 },
    ]);
  });

  flow('classes: add, rename, label into the new class, merge it into another', { imported: true }, async ({ page, text }) => {
    await page.getByRole('link', { name: 'Labeling' }).click();
    await page.locator('#labeling-filter-class').selectOption('');
    await resultCount(page).filter({ hasText: '804 specimens' }).waitFor();
    await page.getByLabel('New class name').fill('galena');
    await page.getByRole('button', { name: 'Add', exact: true }).click();
    await paletteCount(page, 'galena').filter({ hasText: '0' }).waitFor();

    await page.getByLabel('Class to rename').selectOption({ label: 'galena (0)' });
    await page.getByLabel('New name').fill('galena (PbS)');
    await page.getByRole('button', { name: 'Rename', exact: true }).click();
    await paletteCount(page, 'galena (PbS)').waitFor();
    assert.equal(await page.locator('.palette-item[data-class="galena"]').count(), 0);

    // galena (PbS) sorts 4th: key 4.
    assert.equal(await page.locator('.palette-item').nth(3).getAttribute('data-class'), 'galena (PbS)');
    await page.locator('.cell[data-index="0"]').click();
    await page.keyboard.press('Shift+ArrowDown');
    const selected = Number(/(\d+) specimens selected/.exec(await text('.selection-count'))?.[1]);
    assert.ok(selected > 2, `shift+down selects a row and more (${selected})`);
    await page.keyboard.press('4');
    await paletteCount(page, 'galena (PbS)').filter({ hasText: String(selected) }).waitFor();
    await screenshot(page, '05-labeling-classes');

    const quartzBefore = Number(await paletteCount(page, 'quartz').textContent());
    await page.getByLabel('Class to merge').selectOption({ label: `galena (PbS) (${selected})` });
    await page.getByLabel('Merge into').selectOption({ label: `quartz (${quartzBefore})` });
    await page.getByRole('button', { name: 'Merge', exact: true }).click();
    await paletteCount(page, 'quartz').filter({ hasText: String(quartzBefore + selected) }).waitFor();
    assert.equal(await page.locator('.palette-item[data-class="galena (PbS)"]').count(), 0);
    await page.locator('.topbar-summary', { hasText: '804 specimens · 7 classes' }).waitFor();
  });

  flow('rebalancing: weights are N/(C·n_i), warnings, the split assigns every class to every split', { imported: true }, async ({ page, readDb }) => {
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
});
