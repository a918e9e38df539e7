// Each end-to-end flow starts from its own catalogue, prepared through the services (the catalogue functions,
// importFolder, a tiny exported model, evaluateCatalogueSplit), never by clicking through another flow's
// steps: the clicking is what each flow tests, and one flow's failure cannot hide another's.
//
//   flows('Reports', () => {
//     flow('name', { split: true, model: true }, async ({ page, harness, readDb }) => { ... });
//   });
//
// Each flow is one node:test test with a fresh copy of that catalogue, its own harness and its own browser
// context (one Chromium per test file); it fails on any CSP violation, page error or failed request. The flows
// of a group run two at a time (FLOWS_AT_ONCE).
//
// Catalogues are built once per state and copied for each flow. scripts/e2e.mjs gives every file of a run the
// same cache folder (ORELAB_E2E_CACHE), so minerals7 is imported once per run, not once per file.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { Browser as Chromium, Page } from 'playwright-core';
import {
  assignSplits,
  createRun,
  listClasses,
  openDatabase,
  putEpochMetrics,
  registerModel,
  setRunBest,
  setRunStatus,
  type Db,
} from '../../src/main/catalogue';
import { importFolder } from '../../src/main/jobs/import';
import { evaluateCatalogueSplit } from '../../src/main/jobs/evaluate';
import { OnnxClassifier } from '../../src/main/jobs/inference/classifier';
import { MINERALS7 } from '../helpers/fs';
import { makeTinyClassifier } from '../helpers/model';
import { cspViolations, launchChromium, openContext, startHarness, type Browser, type RunningHarness } from './support';

/** minerals7's photos per class folder. */
export const COUNTS = { biotite: 58, bornite: 144, chrysocolla: 138, malachite: 198, muscovite: 65, pyrite: 82, quartz: 119 };

/** What a flow's catalogue holds; each item implies the ones before it. */
export interface CatalogueState {
  /** minerals7 imported by importFolder... */
  imported?: boolean;
  /** ...with labels from its class folders (the default; `labeled: false` imports without them). */
  labeled?: boolean;
  /** ...split 8:1:1 with seed 7 by assignSplits, as the Rebalancing page does. */
  split?: boolean;
  /** ...and a tiny exported MA-ViT (test/helpers/model.ts) over the 7 classes, registered as a catalogue model. */
  model?: boolean;
  /** ...which has classified the test split (evaluateCatalogueSplit: the predictions an evaluation stores). */
  predictions?: boolean;
  /**
   * ...and a completed training run (run 1: mavit, ViT-Ti, 32 px, 2 epochs of metrics) that produced that model,
   * as a run on the Training page leaves it.
   */
  trainedRun?: boolean;
}

type Step = 'import' | 'import-unlabeled' | 'split' | 'model' | 'predictions' | 'trainedRun';
const LATER_STEPS = ['split', 'model', 'predictions', 'trainedRun'] as const;

/** The steps a state needs, in order: each item implies those before it. */
function stepsFor(state: CatalogueState): Step[] {
  const last = Math.max(-1, ...LATER_STEPS.map((s, i) => (state[s] ? i : -1)));
  if (last < 0 && !state.imported && !state.labeled) return [];
  if (last >= 0 && state.labeled === false) throw new Error('splits, models and runs need labels: leave `labeled` out');
  return [state.labeled === false ? 'import-unlabeled' : 'import', ...LATER_STEPS.slice(0, last + 1)];
}

export interface PreparedCatalogue {
  /** The flow's folder: the catalogue, and the harness's files (removed when the flow ends). */
  dir: string;
  dbPath: string;
  /** The registered model, when the state has one. */
  model: { id: string; path: string } | null;
}

const CACHE = process.env.ORELAB_E2E_CACHE ?? fs.mkdtempSync(path.join(os.tmpdir(), 'orelab-e2e-cache-'));
if (!process.env.ORELAB_E2E_CACHE) process.on('exit', () => fs.rmSync(CACHE, { recursive: true, force: true }));

const templates = new Map<string, Promise<string>>();

/** The cached catalogue file for these steps, built (once) from the one with one step fewer. */
function template(steps: Step[]): Promise<string> {
  const key = steps.length ? steps.join('+') : 'empty';
  let built = templates.get(key);
  if (!built) {
    built = buildTemplate(key, steps);
    templates.set(key, built);
  }
  return built;
}

async function buildTemplate(key: string, steps: Step[]): Promise<string> {
  const file = path.join(CACHE, key, 'catalogue.sqlite');
  if (fs.existsSync(file)) return file;
  // Built beside, then renamed into place: a half-built catalogue is never found by another file.
  const building = fs.mkdtempSync(path.join(CACHE, `${key}.building-`));
  const dbPath = path.join(building, 'catalogue.sqlite');
  if (steps.length > 0) fs.copyFileSync(await template(steps.slice(0, -1)), dbPath);
  const db = openDatabase(dbPath);
  try {
    if (steps.length > 0) await applyStep(db, dbPath, steps.at(-1)!);
  } finally {
    db.close();
  }
  try {
    fs.renameSync(building, path.dirname(file));
  } catch (err) {
    // Another process built it meanwhile: theirs is the same.
    if (!fs.existsSync(file)) throw err;
    fs.rmSync(building, { recursive: true, force: true });
  }
  return file;
}

/** The tiny model, exported once per cache over the catalogue's classes (sorted by name, as the trainer has them). */
function tinyModel(): string {
  const dir = path.join(CACHE, 'model');
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, 'tiny-mavit-1.onnx');
  if (!fs.existsSync(file)) {
    const exported = makeTinyClassifier(fs.mkdtempSync(path.join(dir, 'export-')), Object.keys(COUNTS).sort(), { seed: 1 });
    fs.renameSync(exported, file);
  }
  return file;
}

async function withClassifier<T>(fn: (c: OnnxClassifier) => Promise<T> | T): Promise<T> {
  const classifier = await OnnxClassifier.open(tinyModel(), { providers: ['cpu'], workers: 1 });
  try {
    return await fn(classifier);
  } finally {
    await classifier.close();
  }
}

async function applyStep(db: Db, dbPath: string, step: Step): Promise<void> {
  switch (step) {
    case 'import':
    case 'import-unlabeled': {
      const result = await importFolder(db, { folder: MINERALS7, labelsFromFolders: step === 'import' });
      if (result.cancelled || result.errors.length > 0) throw new Error(`fixture import failed: ${JSON.stringify(result.errors)}`);
      return;
    }
    case 'split':
      assignSplits(db, 7);
      return;
    case 'model':
      await withClassifier((c) => registerModel(db, c.catalogueRecord()));
      return;
    case 'predictions': {
      const evaluation = await withClassifier((c) => evaluateCatalogueSplit(db, dbPath, c, 'test'));
      if (evaluation.partial || evaluation.errors.length > 0) throw new Error(`fixture evaluation failed: ${JSON.stringify(evaluation.errors)}`);
      return;
    }
    case 'trainedRun': {
      const classes = listClasses(db).map((c) => c.name);
      const train = new Map(
        (db.prepare("SELECT c.name, COUNT(*) AS n FROM specimens s JOIN classes c ON c.id = s.label_class_id WHERE s.split = 'train' GROUP BY c.name").all() as { name: string; n: number }[]).map(
          (r) => [r.name, r.n],
        ),
      );
      const total = [...train.values()].reduce((a, b) => a + b, 0);
      const runId = createRun(db, {
        variant: 'mavit',
        backbone: 'vit-ti',
        config: { epochs: 2, batchSize: 4, lr: 0.0001, weightDecay: 0.01, seed: 0, limitPerClass: 6, vit: { imageSize: 32 } },
        outDir: path.join(CACHE, 'runs', 'run-1'),
        datasetHash: 'e2e-fixture',
        classes,
        classWeights: classes.map((c) => total / (classes.length * (train.get(c) ?? 1))),
      });
      for (const epoch of [0, 1]) {
        putEpochMetrics(db, runId, {
          epoch,
          trainLoss: 1.9 - 0.1 * epoch,
          trainAccuracy: 0.2 + 0.05 * epoch,
          valLoss: 1.95 - 0.05 * epoch,
          valAccuracy: 0.15 + 0.05 * epoch,
          valMacroF1: 0.1 + 0.05 * epoch,
          learningRate: 0.0001,
          seconds: 2,
          imagesPerSecond: 20,
          kept: true,
        });
      }
      setRunBest(db, runId, 1, 0.2);
      setRunStatus(db, runId, 'completed');
      // The trainer registers the model it exported with its run; this model is the tiny one.
      await withClassifier((c) => registerModel(db, { ...c.catalogueRecord(), runId }));
      return;
    }
  }
}

/** A fresh copy of a catalogue in `state`, in a new folder of its own. */
export async function freshCatalogue(state: CatalogueState = {}): Promise<PreparedCatalogue> {
  const steps = stepsFor(state);
  const source = await template(steps);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'orelab-e2e-'));
  const dbPath = path.join(dir, 'catalogue.sqlite');
  fs.copyFileSync(source, dbPath);
  let model: PreparedCatalogue['model'] = null;
  if (steps.includes('model')) {
    const db = new Database(dbPath, { readonly: true });
    try {
      model = db.prepare('SELECT id, path FROM models').get() as { id: string; path: string };
    } finally {
      db.close();
    }
  }
  return { dir, dbPath, model };
}

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
 * Flows run two at a time by default. They share nothing but the Chromium process (each has its own
 * catalogue, harness and browser context), and most of a flow is waiting for its page, so two at once take
 * little longer than one on a two-core machine: that hides most of the setup each flow pays for its
 * independence. Flows that keep the cores busy (training) are better run one at a time (`atOnce: 1`).
 */
export const FLOWS_AT_ONCE = 2;

/** A group of flows (the flow() calls in `register`), run `atOnce` at a time. */
export function flows(name: string, register: () => void, options: { atOnce?: number } = {}): void {
  describe(name, { concurrency: options.atOnce ?? FLOWS_AT_ONCE }, register);
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
