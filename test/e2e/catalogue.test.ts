// The app frame, importing minerals7, and the Catalogue page (windowed grid, filters, detail panel, the CBAM
// attention overlay), each flow on its own catalogue (fixtures.ts). Screenshots go to e2e-screenshots/.
import assert from 'node:assert/strict';
import { CONTENT_SECURITY_POLICY } from '../../src/main/app/security';
import { MINERALS7 } from '../helpers/fs';
import { COUNTS, countsBy, flow, flows, resultCount } from './fixtures';
import { imageLoaded, screenshot } from './support';

flows('the app frame, import, the Catalogue page', () => {
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
      await panel.locator('.attention-legend', { hasText: 'it predicts' }).waitFor();
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
});
