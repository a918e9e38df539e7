// Each end-to-end flow starts from its own catalogue, prepared through the services (the catalogue functions,
// importFolder, a tiny exported model, evaluateCatalogueSplit), never by clicking through another flow's
// steps: the clicking is what each flow tests, and one flow's failure cannot hide another's.
//
//   flows('Reports', () => {
//     flow('name', { split: true, model: true }, async ({ page, harness, readDb }) => { ... });
//   });
//
// Each flow is one node:test test with a fresh copy of that catalogue (catalogues.ts), its own harness and its
// own browser context (one Chromium per test file); it fails on any CSP violation, page error or failed
// request. Nothing is shared between flows, so they run two at a time (FLOWS_AT_ONCE).
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import Database from 'better-sqlite3';
import type { Browser as Chromium, Page } from 'playwright-core';
import { freshCatalogue, type CatalogueState, type PreparedCatalogue } from './catalogues';
import { cspViolations, launchChromium, openContext, startHarness, type Browser, type RunningHarness } from './support';

export { COUNTS, freshCatalogue, type CatalogueState, type PreparedCatalogue } from './catalogues';

export interface Flow {
  harness: RunningHarness;
  browser: Browser;
  page: Page;
  catalogue: PreparedCatalogue;
  /** Reads the flow's catalogue (read-only, while the harness has it open). */
  readDb<T>(fn: (db: Database.Database) => T): T;
  /** The trimmed text of the first element matching `selector`. */
  text(selector: string): Promise<string>;
}

/** A flow's own catalogue, harness and signed-in page, before its steps run. */
interface Setup {
  catalogue: PreparedCatalogue;
  harness: RunningHarness;
  browser: Browser;
  /** How long each part took. */
  times: string[];
}

const seconds = (since: number) => `${((performance.now() - since) / 1000).toFixed(1)} s`;

// One Chromium per test file, launched by the first flow; every flow gets its own context in it.
let chromium: Promise<Chromium> | null = null;

async function setUp(state: CatalogueState): Promise<Setup> {
  const t0 = performance.now();
  const catalogue = await freshCatalogue(state);
  const times = [`catalogue ${seconds(t0)}`];
  const t1 = performance.now();
  chromium ??= launchChromium();
  // The context does not need the harness yet: both start at once. Both are awaited before either may throw,
  // so whichever did start is closed.
  const [started, opened] = await Promise.allSettled([startHarness(catalogue.dbPath, { dir: catalogue.dir }), chromium.then((c) => openContext(c))]);
  try {
    if (started.status === 'rejected') throw started.reason;
    if (opened.status === 'rejected') throw opened.reason;
    times.push(`harness and context ${seconds(t1)}`);
    const t2 = performance.now();
    await opened.value.page.goto(started.value.url);
    times.push(`first page ${seconds(t2)}`);
    return { catalogue, harness: started.value, browser: opened.value, times };
  } catch (err) {
    await tearDown({
      catalogue,
      harness: started.status === 'fulfilled' ? started.value : undefined,
      browser: opened.status === 'fulfilled' ? opened.value : undefined,
    });
    throw err;
  }
}

async function tearDown(s: { catalogue: PreparedCatalogue; harness: RunningHarness | undefined; browser: Browser | undefined }): Promise<void> {
  await s.browser?.close();
  if (s.harness) await s.harness.stop();
  else fs.rmSync(s.catalogue.dir, { recursive: true, force: true });
}

after(async () => {
  if (chromium) await (await chromium).close();
});

/**
 * Flows run two at a time, in the order written. They share nothing but the Chromium process (each has its
 * own catalogue, harness and browser context), and much of a flow is waiting for its page, so the second one
 * uses what the first leaves of a two-core machine; more at once would only crowd it.
 */
export const FLOWS_AT_ONCE = 2;

/** A group of flows (the flow() calls in `register`), run FLOWS_AT_ONCE at a time. */
export function flows(name: string, register: () => void): void {
  describe(name, { concurrency: FLOWS_AT_ONCE }, register);
}

/**
 * One independent flow: a fresh catalogue in `state`, its own harness, a browser context signed in to it,
 * then `body`; the flow fails on any CSP violation, page error or failed request seen meanwhile.
 */
export function flow(name: string, state: CatalogueState, body: (f: Flow) => Promise<void>): void {
  test(name, async (t) => {
    const setup = await setUp(state);
    const { harness, browser, catalogue, times } = setup;
    const page = browser.page;
    try {
      const t1 = performance.now();
      await body({
        harness,
        browser,
        page,
        catalogue,
        readDb(fn) {
          const db = new Database(catalogue.dbPath, { readonly: true });
          try {
            return fn(db);
          } finally {
            db.close();
          }
        },
        text: async (selector) => (await page.locator(selector).first().textContent())?.trim() ?? '',
      });
      times.push(`flow ${seconds(t1)}`);
      assert.deepEqual(await cspViolations(page), [], 'no CSP violations');
      assert.deepEqual(browser.problems, [], browser.problems.join('\n'));
    } catch (err) {
      // Page errors and failed requests often explain a failed wait: say them with the failure.
      if (browser.problems.length > 0 && err instanceof Error) err.message += `\n\nproblems seen in the page:\n${browser.problems.join('\n')}`;
      throw err;
    } finally {
      await tearDown(setup);
      // Where the time goes, in the test's report: the setup is the price of independence, so it is watched.
      t.diagnostic(times.join(', '));
    }
  });
}

/** Waits until the input or select matching `selector` holds a value other than `value`. */
export async function valueChangesFrom(page: Page, selector: string, value: string): Promise<void> {
  // A function, not a string: the app's CSP refuses Playwright's eval of a string predicate (see support.ts).
  type Doc = { querySelector(s: string): { value: string } | null };
  await page.waitForFunction(
    ([sel, old]) => {
      const el = (globalThis as unknown as { document: Doc }).document.querySelector(sel);
      return el !== null && el.value !== old;
    },
    [selector, value] as const,
  );
}

/** The count shown beside a class in the Labeling palette. */
export const paletteCount = (page: Page, cls: string) => page.locator(`.palette-item[data-class="${cls}"] .count`);
/** The "N specimens" line of the Catalogue and Labeling pages. */
export const resultCount = (page: Page) => page.locator('.result-count');

/** Per-class counts of a query returning (name, n) rows. */
export function countsBy(db: Database.Database, sql: string): Record<string, number> {
  return Object.fromEntries((db.prepare(sql).all() as { name: string; n: number }[]).map((r) => [r.name, r.n]));
}
