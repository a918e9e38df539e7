// The Reports page with intervals (issue 11), in Chromium against the harness: an evaluated model's accuracy and
// macro F1 with their 95% intervals, a recall on fewer than 10 photos greyed out and saying why; two models
// compared pair by pair (the difference with its interval, McNemar's test, the discordant photos as thumbnails
// reached and opened by keyboard); a cross-validation run shown like a split (pooled report, folds, mean ± sd, a
// confusion cell's photos) and two runs compared. Each flow starts from its own catalogue in the `predictions`
// state, to which addComparedModelsAndCvRuns (catalogues.ts) adds a second evaluated model and two CV runs
// written through the catalogue's functions. Screenshots go to e2e-screenshots/.
import assert from 'node:assert/strict';
import type Database from 'better-sqlite3';
import type { Page } from 'playwright-core';
import { wilsonInterval } from '../../src/shared/intervals';
import { addComparedModelsAndCvRuns } from './catalogues';
import { flow, flows } from './fixtures';
import { imageLoaded, screenshot } from './support';

interface TestPrediction {
  id: number;
  label: string;
  predicted: string;
}

/** A model's stored predictions of the labeled test photos. */
function testPredictions(db: Database.Database, modelId: string): TestPrediction[] {
  return db
    .prepare(
      `SELECT s.id, c.name AS label, p.predicted_class AS predicted
         FROM predictions p JOIN specimens s ON s.id = p.specimen_id JOIN classes c ON c.id = s.label_class_id
        WHERE p.model_id = ? AND s.split = 'test' ORDER BY s.id`,
    )
    .all(modelId) as TestPrediction[];
}

const right = (p: TestPrediction) => p.label.toLowerCase() === p.predicted.toLowerCase();
const pct = (x: number) => (x * 100).toFixed(1);

/** The photos only A got right (b), only B got right (c), and both sets together in id order. */
function discordance(a: TestPrediction[], b: TestPrediction[]): { b: number; c: number; ids: number[] } {
  const ofB = new Map(b.map((p) => [p.id, p]));
  const ids: number[] = [];
  let onlyA = 0;
  let onlyB = 0;
  for (const pa of a) {
    const pb = ofB.get(pa.id)!;
    if (right(pa) && !right(pb)) onlyA++;
    if (!right(pa) && right(pb)) onlyB++;
    if (right(pa) !== right(pb)) ids.push(pa.id);
  }
  return { b: onlyA, c: onlyB, ids };
}

/** Presses Tab (at most `limit` times) until the focus is on an element matching `selector`. */
async function tabTo(page: Page, selector: string, limit = 300): Promise<void> {
  for (let i = 0; i < limit; i++) {
    if ((await page.locator(`${selector}:focus`).count()) > 0) return;
    await page.keyboard.press('Tab');
  }
  throw new Error(`${selector} was not reached by ${limit} presses of Tab`);
}

/** Asserts the page itself does not scroll sideways (wide tables scroll inside their own box); names what sticks out. */
async function noSidewaysScroll(page: Page, what: string): Promise<void> {
  type El = { scrollWidth: number; clientWidth: number; className: string; tagName: string; getBoundingClientRect(): { right: number }; parentElement: El | null };
  type Doc = { querySelector(s: string): El | null; querySelectorAll(s: string): ArrayLike<El> };
  type Win = { document: Doc; getComputedStyle(e: El): { overflowX: string } };
  const { scrollWidth, clientWidth, outside } = await page.evaluate(() => {
    const win = globalThis as unknown as Win;
    const doc = win.document;
    const el = doc.querySelector('.page-reports')!;
    const edge = el.getBoundingClientRect().right;
    // The outermost elements that reach past the page's edge, other than those inside a box that scrolls. (No
    // named functions in here: the test's transpiler would wrap them in a helper the page does not have.)
    const past = Array.from(doc.querySelectorAll('.page-reports *')).filter((e) => {
      if (e.getBoundingClientRect().right <= edge + 1) return false;
      for (let p = e.parentElement; p !== null && p !== el; p = p.parentElement) if (win.getComputedStyle(p).overflowX !== 'visible') return false;
      return true;
    });
    const outermost = past.filter((e) => !past.includes(e.parentElement!));
    return { scrollWidth: el.scrollWidth, clientWidth: el.clientWidth, outside: outermost.slice(0, 5).map((e) => `${e.tagName.toLowerCase()}.${e.className}`) };
  });
  assert.ok(scrollWidth <= clientWidth + 1, `${what}: the Reports page is ${scrollWidth} px wide in ${clientWidth} px; past its edge: ${outside.join(', ')}`);
}

flows('Reports: intervals, cross-validation runs, paired comparison', () => {
  flow('reports: intervals of an evaluated model, a thin recall greyed out, two models compared with their discordant photos', { predictions: true }, async ({ page, catalogue, readDb }) => {
    const { models } = await addComparedModelsAndCvRuns(catalogue);
    await page.getByRole('link', { name: 'Reports' }).click();
    await page.locator('.topbar-title', { hasText: 'Reports' }).waitFor();
    // The newest model is shown first; the flow looks at the one that came with the catalogue.
    await page.locator('#report-model').selectOption(models[0]);
    const rows = page.locator('.per-class-table tbody tr');
    await rows.nth(6).waitFor();

    // Accuracy with its Wilson interval, as the catalogue's predictions give it.
    const a = readDb((db) => testPredictions(db, models[0]));
    const correct = a.filter(right).length;
    const [lo, hi] = wilsonInterval(correct, a.length);
    assert.equal(await page.locator('.model-report .stat-value.accuracy').textContent(), `${pct(correct / a.length)}% (95% CI ${pct(lo)}–${pct(hi)}%)`);
    assert.match((await page.locator('.model-report .stat-value.macro-f1').textContent()) ?? '', /^\d\.\d{3} \(95% CI \d\.\d{3}–\d\.\d{3}\)$/);

    // Every recall and precision has its interval; a recall on fewer than 10 photos is greyed, marked, and says why.
    const supports = new Map<string, number>();
    for (const p of a) supports.set(p.label, (supports.get(p.label) ?? 0) + 1);
    assert.ok([...supports.values()].some((n) => n < 10) && [...supports.values()].some((n) => n >= 10), 'the test split has a thin class and a thick one');
    for (const [name, n] of supports) {
      const recall = page.locator(`.per-class-table tr[data-class="${name}"] .recall`);
      assert.match((await recall.textContent()) ?? '', /^\d\.\d{3} \(95% CI \d\.\d{3}–\d\.\d{3}\)/, name);
      assert.match((await page.locator(`.per-class-table tr[data-class="${name}"] .precision`).textContent()) ?? '', /95% CI/, name);
      if (n < 10) {
        assert.equal(await recall.getAttribute('class'), 'num metric recall too-few', name);
        assert.equal(await recall.getAttribute('title'), 'fewer than 10 photos: too few to judge');
        assert.match((await recall.textContent()) ?? '', /fewer than 10 photos: too few to judge$/, `${name}: the reason is in the cell's text, not only its shade`);
        assert.equal(await recall.locator('.too-few-mark').textContent(), '*');
      } else {
        assert.equal(await recall.getAttribute('title'), null, name);
      }
    }
    await page.locator('.too-few-note', { hasText: 'Greyed: fewer than 10 photos: too few to judge.' }).waitFor();
    await page.setViewportSize({ width: 1400, height: 1100 });
    await screenshot(page, '40-reports-intervals');

    // Side by side with the second model: the paired comparison on the test photos both predicted.
    await page.locator('#report-compare').selectOption(models[1]);
    const panel = page.locator('.compare-panel');
    await panel.locator('.compare-table tbody tr').nth(1).waitFor();
    const b = readDb((db) => testPredictions(db, models[1]));
    const expected = discordance(a, b);
    assert.ok(expected.ids.length > 0, 'the two tiny models disagree somewhere');
    await panel.locator('.compare-basis', { hasText: `On the ${a.length} labeled photos both predicted (test split), resampled 1,000 times` }).waitFor();
    for (const metric of ['accuracy', 'macro_f1']) {
      assert.match((await panel.locator(`tr[data-metric="${metric}"] .difference`).textContent()) ?? '', /^([+−]?\d+\.\d+)( points)? \(95% CI [+−]?\d+\.\d+( points)? to [+−]?\d+\.\d+( points)?\)$/, metric);
    }
    assert.match((await panel.locator('tr[data-metric="accuracy"] td').nth(0).textContent()) ?? '', /^\d+\.\d% \(95% CI/);
    const mcnemar = (await panel.locator('.mcnemar').textContent()) ?? '';
    assert.match(mcnemar, new RegExp(`^McNemar's exact test: ${expected.b} photos? only A got right, ${expected.c} photos? only B got right; p [=<] `));
    // The reading follows the interval: "no evidence" exactly when it contains 0.
    const accuracyDifference = (await panel.locator('tr[data-metric="accuracy"] .difference').textContent())!;
    const [, low, high] = /95% CI ([+−]?[\d.]+) points to ([+−]?[\d.]+) points/.exec(accuracyDifference)!.map((x) => Number(x.replace('−', '-').replace('+', '')));
    const readingText = (await panel.locator('.compare-reading li').first().textContent())!;
    if (low! <= 0 && high! >= 0) assert.match(readingText, /no evidence of a difference at this sample size/);
    else assert.match(readingText, /is better/);

    // The discordant photos, as thumbnails with the label and both predictions, in specimen id order.
    const cards = panel.locator('.discordant-card');
    await cards.nth(Math.min(expected.ids.length, 48) - 1).waitFor();
    const shown = await cards.evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-specimen-id'))));
    assert.deepEqual(shown, expected.ids.slice(0, 48));
    const first = a.find((p) => p.id === expected.ids[0])!;
    const firstB = b.find((p) => p.id === expected.ids[0])!;
    assert.equal(
      await cards.first().locator('img').getAttribute('alt'),
      `Photo labeled ${first.label}: A predicted ${first.predicted} (${right(first) ? 'right' : 'wrong'}), B predicted ${firstB.predicted} (${right(firstB) ? 'right' : 'wrong'})`,
    );
    if (expected.ids.length > 48) {
      await panel.getByRole('button', { name: `Show all ${expected.ids.length} discordant photos` }).click();
      await cards.nth(expected.ids.length - 1).waitFor();
    }
    await imageLoaded(page, '.discordant-card img');
    await panel.scrollIntoViewIfNeeded();
    await screenshot(page, '41-reports-compare-discordant');

    // By keyboard alone: Tab reaches the first discordant photo, Enter opens it larger, Escape closes it.
    await page.locator('#report-compare').focus();
    await tabTo(page, '.discordant-open');
    assert.equal(await page.locator('.discordant-open:focus').getAttribute('aria-label'), `${await cards.first().locator('img').getAttribute('alt')}. Open it larger`);
    await page.keyboard.press('Enter');
    const dialog = page.locator('dialog.discordant-dialog[open]');
    await dialog.locator('.discordant-figure img').waitFor();
    await imageLoaded(page, 'dialog.discordant-dialog[open] .discordant-figure img');
    await dialog.getByText(`Labeled ${first.label}`).waitFor();
    await screenshot(page, '42-reports-discordant-photo');
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });

    // At 200% zoom (640×360 CSS px) the two reports stack and nothing makes the page scroll sideways.
    await page.setViewportSize({ width: 640, height: 360 });
    const columns = page.locator('.report-columns.compare .model-report');
    const [left, right2] = [await columns.nth(0).boundingBox(), await columns.nth(1).boundingBox()];
    assert.equal(left!.x, right2!.x, 'the two reports are stacked, not squeezed side by side');
    await noSidewaysScroll(page, '640×360');
    await screenshot(page, '43-reports-compare-narrow');
    await page.setViewportSize({ width: 1400, height: 880 });
  });

  flow('reports: a cross-validation run shown like a split (pooled intervals, folds, mean ± sd, a cell\'s photos), two runs compared', { predictions: true }, async ({ page, catalogue, readDb }) => {
    const { models, cvRuns } = await addComparedModelsAndCvRuns(catalogue);
    await page.getByRole('link', { name: 'Reports' }).click();
    await page.locator('.topbar-title', { hasText: 'Reports' }).waitFor();
    await page.locator('#report-scope').selectOption({ label: 'Cross-validation: cv-a (2 folds, out-of-fold)' });
    const report = page.locator('.cv-report[data-cv="cv-a"]');
    await report.locator('.per-class-table tbody tr').nth(6).waitFor();
    assert.equal(await page.locator('#report-model').count(), 0, 'a run is its own fold models: no model to pick');

    // The pooled report: the out-of-fold predictions of the run (here: the first model's test predictions).
    const a = readDb((db) => testPredictions(db, models[0]));
    const correct = a.filter(right).length;
    const [lo, hi] = wilsonInterval(correct, a.length);
    assert.equal(await report.locator('.stat-value.accuracy').textContent(), `${pct(correct / a.length)}% (95% CI ${pct(lo)}–${pct(hi)}%)`);
    assert.match((await report.locator('.stat-value.macro-f1').textContent()) ?? '', /95% CI/);
    assert.ok((await report.locator('.recall.too-few').count()) > 0, 'a thin class is greyed in a run too');

    // Its folds: photos, kept epoch, accuracy and macro F1 each, then mean ± sd.
    const folds = report.locator('.cv-fold-table tbody tr');
    assert.equal(await folds.count(), 2);
    const perFold = [0, 1].map((f) => a.filter((p) => p.id % 2 === f));
    for (const f of [0, 1]) {
      const cells = await folds.nth(f).locator('th, td').allTextContents();
      const fc = perFold[f]!.filter(right).length;
      assert.deepEqual(cells.slice(0, 4), [String(f + 1), String(perFold[f]!.length), '1', `${pct(fc / perFold[f]!.length)}%`]);
    }
    assert.match((await report.locator('.cv-mean').textContent()) ?? '', /^Mean ± standard deviation over the folds\d+\.\d% ± \d+\.\d%\d\.\d{3} ± \d\.\d{3}$/);

    // A confusion cell of the pooled matrix opens its photos (cv.cell).
    const cells = report.locator('.confusion-cell');
    const counts = (await cells.allTextContents()).map(Number);
    const index = counts.findIndex((n) => n > 0);
    const [t, p] = [await cells.nth(index).getAttribute('data-true'), await cells.nth(index).getAttribute('data-predicted')];
    await cells.nth(index).click();
    const drawer = page.locator('.cell-drawer');
    await drawer.locator('h2', { hasText: `${counts[index]} photo` }).waitFor();
    const shown = (await drawer.locator('.thumb-card').evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-specimen-id'))))).sort((x, y) => x - y);
    assert.deepEqual(shown, a.filter((x) => x.label === t && x.predicted === p).map((x) => x.id));
    await page.setViewportSize({ width: 1400, height: 1300 });
    await screenshot(page, '44-reports-cv-run');

    // Two runs side by side, and their paired comparison on the out-of-fold predictions.
    await page.locator('#report-compare').selectOption(cvRuns[1]);
    await page.locator('.cv-report[data-cv="cv-b"] .per-class-table tbody tr').nth(6).waitFor();
    const panel = page.locator('.compare-panel');
    await panel.locator('.compare-table tbody tr').nth(1).waitFor();
    const expected = discordance(a, readDb((db) => testPredictions(db, models[1])));
    assert.match((await panel.locator('.mcnemar').textContent()) ?? '', new RegExp(`${expected.b} photos? only A got right, ${expected.c} photos? only B got right`));
    await panel.locator('.discordant-card').nth(Math.min(expected.ids.length, 48) - 1).waitFor();
    await panel.scrollIntoViewIfNeeded();
    await screenshot(page, '45-reports-cv-compare');
    await page.setViewportSize({ width: 1400, height: 880 });
  });
});
