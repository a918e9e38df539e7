// Accessibility (issue 16): every page, in the states the flows reach, scanned by axe-core (WCAG 2.0 and 2.1, A
// and AA) at 1280×720 in Chromium against the harness. A violation of impact "serious" or "critical" fails the
// flow; an exception is only ever a named rule for a named selector in EXCLUSIONS, with the reason beside it.
// Every finding (of any impact) is written to e2e-screenshots/axe/<state>.json and summed up in the test's
// output, so the lesser ones can be read too. axe runs in the page through the DevTools protocol
// (page.evaluate), which the app's CSP does not govern: nothing is added to the app for it.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { Page } from 'playwright-core';
import type { AxeResults } from 'axe-core';
import { MINERALS7 } from '../helpers/fs';
import { addComparedModelsAndCvRuns } from './catalogues';
import { flow, flows, resultCount } from './fixtures';
import { SCREENSHOTS, screenshot } from './support';
import { contrastRatio } from '../../src/renderer/lib/heat';

const AXE_SOURCE = fs.readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
/** WCAG 2.1 AA, as axe tags it: the 2.0 and the 2.1 success criteria of levels A and AA. */
const WCAG_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'];
const FAILING = new Set(['serious', 'critical']);

/** A rule not applied to elements inside `selector`, and why. None is needed today. */
interface Exclusion {
  rule: string;
  selector: string;
  why: string;
}
const EXCLUSIONS: Exclusion[] = [];

interface Finding {
  rule: string;
  impact: string | null;
  help: string;
  nodes: { target: string; html: string; summary: string }[];
}

/** The page's findings under WCAG_TAGS, with the excluded nodes left out. */
async function axeFindings(page: Page): Promise<Finding[]> {
  if ((await page.evaluate('typeof window.axe')) !== 'object') await page.evaluate(AXE_SOURCE);
  // Types for the page's side: the Node tsconfig has no DOM. No named functions inside (see support.ts).
  type El = { closest(s: string): El | null };
  type Doc = { querySelector(s: string): El | null };
  type Win = { document: Doc; axe: { run(ctx: unknown, options: unknown): Promise<AxeResults> } };
  return page.evaluate(
    async ([tags, exclusions]) => {
      const win = globalThis as unknown as Win;
      const results = await win.axe.run(win.document, { runOnly: { type: 'tag', values: tags }, resultTypes: ['violations'] });
      return results.violations
        .map((v) => ({
          rule: v.id,
          impact: v.impact ?? null,
          help: v.help,
          nodes: v.nodes
            .filter((n) => {
              const el = win.document.querySelector(String(n.target[0]));
              return !exclusions.some((x) => x.rule === v.id && el !== null && el.closest(x.selector) !== null);
            })
            .map((n) => ({ target: n.target.map(String).join(' '), html: n.html.slice(0, 240), summary: n.failureSummary ?? '' })),
        }))
        .filter((v) => v.nodes.length > 0);
    },
    [WCAG_TAGS, EXCLUSIONS] as const,
  );
}

/**
 * Scans the page as it is now under `state`: saves the findings and a screenshot, and returns the serious and
 * critical ones, described. The flow asserts at its end that there were none, so that one run reports them all.
 */
async function scan(page: Page, state: string, log: string[]): Promise<string[]> {
  const findings = await axeFindings(page);
  fs.mkdirSync(path.join(SCREENSHOTS, 'axe'), { recursive: true });
  fs.writeFileSync(path.join(SCREENSHOTS, 'axe', `${state}.json`), `${JSON.stringify(findings, null, 2)}\n`);
  await screenshot(page, `axe-${state}`);
  log.push(`${state}: ${findings.length === 0 ? 'none' : findings.map((f) => `${f.rule} (${f.impact}) ×${f.nodes.length}`).join(', ')}`);
  const failing = findings.filter((f) => FAILING.has(f.impact ?? ''));
  return failing.map((f) => `${state}: ${f.rule} (${f.impact}): ${f.help}\n${f.nodes.map((n) => `  ${n.target}\n    ${n.html}\n    ${n.summary.replace(/\n/g, '\n    ')}`).join('\n')}`);
}

/** Presses Tab (at most `limit` times) until the focus is on an element matching `selector`. */
async function tabTo(page: Page, selector: string, limit = 40): Promise<void> {
  for (let i = 0; i < limit; i++) {
    if ((await page.locator(`${selector}:focus`).count()) > 0) return;
    await page.keyboard.press('Tab');
  }
  throw new Error(`${selector} was not reached by ${limit} presses of Tab`);
}

/** The accessible name Chromium computes for the element (its accessibility tree, over the DevTools protocol). */
async function accessibleName(page: Page, selector: string): Promise<string> {
  const cdp = await page.context().newCDPSession(page);
  try {
    const { root } = await cdp.send('DOM.getDocument', { depth: 0 });
    const { nodeId } = await cdp.send('DOM.querySelector', { nodeId: root.nodeId, selector });
    const { nodes } = await cdp.send('Accessibility.getPartialAXTree', { nodeId, fetchRelatives: false });
    return String(nodes[0]?.name?.value ?? '');
  } finally {
    await cdp.detach();
  }
}

/** The contrast of the focused element's inset focus ring (its box-shadow's colour) with its background. */
async function focusRingContrast(page: Page, selector: string): Promise<number> {
  type El = { parentElement: El | null };
  type Win = { document: { querySelector(s: string): El | null }; getComputedStyle(e: El): { boxShadow: string; backgroundColor: string } };
  const [shadow, background] = await page.evaluate((sel: string) => {
    const win = globalThis as unknown as Win;
    let el = win.document.querySelector(sel);
    const ring = el ? win.getComputedStyle(el).boxShadow : '';
    // The first ancestor with a background that is not transparent is what the ring is seen against.
    let bg = 'rgb(255, 255, 255)';
    for (; el !== null; el = el.parentElement) {
      const b = win.getComputedStyle(el).backgroundColor;
      if (b !== 'rgba(0, 0, 0, 0)' && b !== 'transparent') {
        bg = b;
        break;
      }
    }
    return [ring, bg];
  }, `${selector}:focus`);
  const rgb = (css: string) => (css.match(/\d+(\.\d+)?/g) ?? []).slice(0, 3).map(Number) as [number, number, number];
  assert.match(shadow, /^rgb/, `a focus ring is drawn: ${shadow}`);
  return contrastRatio(rgb(shadow), rgb(background));
}

const VIEWPORT = { width: 1280, height: 720 };

flows('Accessibility: axe-core on every page at 1280×720', () => {
  flow('axe: Catalogue, Relabel, Labeling, Rebalancing and Batch classification, in the states a session reaches', { trainedRun: true }, async ({ page, harness, readDb }) => {
    const log: string[] = [];
    const failing: string[] = [];
    const check = async (state: string) => failing.push(...(await scan(page, state, log)));
    try {
      await page.setViewportSize(VIEWPORT);
      await resultCount(page).filter({ hasText: '804 specimens' }).waitFor();
      await page.locator('.cell[data-index="0"] img').waitFor();
      await check('catalogue');
      // By keyboard: Tab from the search box into the grid puts the cursor on the first card (no arrow key needed),
      // the focus ring stands out from the grid's background, and Enter opens the card.
      await page.locator('input.search').first().focus();
      await tabTo(page, '.grid-scroll');
      await page.locator('.grid-scroll:focus .cell.cursor[data-index="0"]').waitFor();
      assert.equal(await page.locator('.grid-scroll').first().getAttribute('aria-activedescendant'), await page.locator('.cell[data-index="0"]').getAttribute('id'));
      const ring = await focusRingContrast(page, '.grid-scroll');
      assert.ok(ring >= 3, `the grid's focus ring is ${ring.toFixed(2)}:1 against its background (WCAG 1.4.11 asks 3:1)`);
      await page.keyboard.press('Enter');
      await page.locator('.detail-panel .detail-image img').waitFor();
      await check('catalogue-detail');

      // Relabel: the queue, then an item under review, flagged for an expert.
      await page.getByRole('link', { name: 'Relabel' }).click();
      await page.locator('.queue-count', { hasText: /\d+ specimens? to review/ }).waitFor();
      await check('relabel');
      const first = page.locator('.relabel-item').first();
      const flaggedId = Number(await first.getAttribute('data-specimen-id'));
      await first.click();
      await page.getByRole('button', { name: 'Flag for an expert' }).waitFor();
      await check('relabel-review');
      await page.getByRole('button', { name: 'Flag for an expert' }).click();
      await page.locator('.notice', { hasText: /^Flag/ }).waitFor();

      // The Catalogue again, found by its file name: a card with a prediction and the flag.
      const name = readDb((db) => (db.prepare('SELECT original_name AS n FROM specimens WHERE id = ?').get(flaggedId) as { n: string }).n);
      await page.getByRole('link', { name: 'Catalogue' }).click();
      await page.locator('input.search').first().fill(name);
      await resultCount(page).filter({ hasText: /^1 specimen/ }).waitFor();
      await page.locator('.cell[data-index="0"] .flag-badge').waitFor();
      await check('catalogue-flagged');
      // The card's accessible name (as Chromium gives it to a screen reader) has every word the card shows, the
      // prediction and the flag among them, starting with the label.
      const card = page.locator('.cell[data-index="0"]');
      const spoken = await accessibleName(page, '.cell[data-index="0"]');
      log.push(`the flagged card's accessible name: "${spoken}"`);
      const shown = ((await card.innerText()) ?? '').toLowerCase().match(/[a-z0-9]+/g) ?? [];
      assert.ok(spoken.toLowerCase().startsWith((await card.locator('.chip').innerText()).toLowerCase()), spoken);
      for (const word of shown) assert.ok(spoken.toLowerCase().includes(word), `"${word}" is shown on the card but not in its name "${spoken}"`);
      assert.match(spoken, /(predicted \w+ \d+%|\d+% sure).*, flagged for expert review$/);

      // Labeling, with the cursor on a card.
      await page.getByRole('link', { name: 'Labeling' }).click();
      await resultCount(page).filter({ hasText: /\d+ specimens/ }).waitFor();
      await page.locator('#labeling-grid .cell[data-index="1"] img').waitFor();
      await page.locator('#labeling-grid').focus();
      await page.keyboard.press('ArrowRight');
      await page.locator('.selection-count', { hasText: '1 specimen selected' }).waitFor();
      await check('labeling');

      await page.getByRole('link', { name: 'Rebalancing' }).click();
      await page.locator('.page-rebalancing #splits-title').waitFor();
      await check('rebalancing');

      // Batch classification: empty, then with a finished job's results.
      await page.getByRole('link', { name: 'Batch classification' }).click();
      await page.locator('#batch-folder').waitFor();
      await check('batch');
      const folder = path.join(harness.dir, 'new-photos');
      for (const cls of ['malachite', 'pyrite']) {
        fs.mkdirSync(path.join(folder, cls), { recursive: true });
        for (const f of fs.readdirSync(path.join(MINERALS7, cls)).sort().slice(0, 3)) fs.copyFileSync(path.join(MINERALS7, cls, f), path.join(folder, cls, f));
      }
      await page.locator('#batch-folder').fill(folder);
      await page.getByRole('button', { name: 'Classify', exact: true }).click();
      await page.locator('.batch-result .batch-table').waitFor({ timeout: 300_000 });
      await check('batch-result');
      assert.deepEqual(failing, [], 'serious or critical accessibility violations');
    } finally {
      // What each state had, the lesser findings too, beside the test's result.
      console.log(log.join('\n'));
    }
  });

  flow('axe: Training (runs, a run\'s curves) and Reports (confusion matrix, a cell\'s photos, two models compared, cross-validation runs)', { trainedRun: true }, async ({ page, catalogue }) => {
    const log: string[] = [];
    const failing: string[] = [];
    const check = async (state: string) => failing.push(...(await scan(page, state, log)));
    try {
      const { models, cvRuns } = await addComparedModelsAndCvRuns(catalogue);
      await page.setViewportSize(VIEWPORT);
      await page.getByRole('link', { name: 'Training' }).click();
      await page.locator('.runs-table tr[data-run="1"] .run-status', { hasText: 'completed' }).waitFor();
      await check('training');
      await page.locator('.runs-table tr[data-run="1"]').getByRole('button', { name: 'Curves' }).click();
      await page.locator('.line-chart svg').nth(1).waitFor();
      await page.locator('.line-chart').first().scrollIntoViewIfNeeded();
      await check('training-curves');

      await page.getByRole('link', { name: 'Reports' }).click();
      await page.locator('.topbar-title', { hasText: 'Reports' }).waitFor();
      await page.locator('#report-model').selectOption(models[0]);
      await page.locator('.per-class-table tbody tr').nth(6).waitFor();
      await page.locator('.confusion-cell').first().waitFor();
      await check('reports');
      const cells = page.locator('.confusion-cell');
      const counts = (await cells.allTextContents()).map(Number);
      await cells.nth(counts.findIndex((n) => n > 0)).click();
      await page.locator('.cell-drawer .thumb-card img').first().waitFor();
      await check('reports-cell');

      await page.locator('#report-compare').selectOption(models[1]);
      await page.locator('.compare-panel .discordant-card').first().waitFor();
      await check('reports-compare');

      await page.locator('#report-scope').selectOption({ label: 'Cross-validation: cv-a (2 folds, out-of-fold)' });
      await page.locator('.cv-report[data-cv="cv-a"] .per-class-table tbody tr').nth(6).waitFor();
      await check('reports-cv');
      await page.locator('#report-compare').selectOption(cvRuns[1]);
      await page.locator('.cv-report[data-cv="cv-b"] .per-class-table tbody tr').nth(6).waitFor();
      await page.locator('.compare-panel .discordant-card').first().waitFor();
      await check('reports-cv-compare');
      assert.deepEqual(failing, [], 'serious or critical accessibility violations');
    } finally {
      // What each state had, the lesser findings too, beside the test's result.
      console.log(log.join('\n'));
    }
  });
});
