// The Relabel page's "Whole catalogue" source (issue 12 item 5), end to end: real minerals7 photos (7 each of
// malachite, pyrite and quartz, and one clear quartz photo filed under pyrite), the real label-issues job (the
// shipped ViT-Ti's embeddings through ONNX Runtime), the built harness and Chromium. Find label issues lists the
// planted photo with quartz suggested; a relabels it, z undoes it, shift+z redoes it; x excludes a photo and z
// includes it again; the result is still there after leaving the page, and at 200% zoom (640×360 CSS px).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { Browser as Chromium, Page } from 'playwright-core';
import { assignSplits, createRun, openDatabase, setRunStatus } from '../../src/main/catalogue';
import { importFolder } from '../../src/main/jobs/import';
import { MINERALS7 } from '../helpers/fs';
import { cspViolations, launchChromium, openContext, screenshot, startHarness, type Browser, type RunningHarness } from './support';

const PER_CLASS = 7;
const WRONG = '4bee8e6f33cc8f5b.jpg';
const PLANTED = `from-quartz-${WRONG}`;

/** The small catalogue of test/label-issues/label-issues.test.ts (without its too-small class). */
async function catalogue(dir: string): Promise<string> {
  const photos = path.join(dir, 'photos');
  for (const cls of ['malachite', 'pyrite', 'quartz']) {
    fs.mkdirSync(path.join(photos, cls), { recursive: true });
    const files = fs.readdirSync(path.join(MINERALS7, cls)).filter((f) => f.endsWith('.jpg')).sort().slice(0, PER_CLASS);
    assert.ok(!files.includes(WRONG));
    for (const f of files) fs.copyFileSync(path.join(MINERALS7, cls, f), path.join(photos, cls, f));
  }
  fs.copyFileSync(path.join(MINERALS7, 'quartz', WRONG), path.join(photos, 'pyrite', PLANTED));
  const file = path.join(dir, 'catalogue.sqlite');
  const db = openDatabase(file);
  try {
    await importFolder(db, { folder: photos, labelsFromFolders: true });
    // A completed training run (as the Training page leaves one; no model needed): Retrain repeats its settings.
    assignSplits(db, 7);
    const runId = createRun(db, {
      variant: 'mavit',
      backbone: 'vit-ti',
      config: { epochs: 1, batchSize: 4, lr: 0.0001, weightDecay: 0.01, seed: 3, limitPerClass: 2, vit: { imageSize: 32 } },
      outDir: path.join(dir, 'runs', 'run-1'),
      datasetHash: 'e2e-fixture',
      classes: ['malachite', 'pyrite', 'quartz'],
      classWeights: [1, 1, 1],
    });
    setRunStatus(db, runId, 'completed');
  } finally {
    db.close();
  }
  return file;
}

let chromium: Chromium;
let harness: RunningHarness;
before(async () => {
  // Not tempDir(): its after() would run when this hook ends and take the photos away; harness.stop() removes it.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'orelab-e2e-relabel-whole-'));
  const [file, browser] = await Promise.all([catalogue(dir), launchChromium()]);
  chromium = browser;
  harness = await startHarness(file, { dir });
});
after(async () => {
  await harness?.stop();
  await chromium?.close();
});

function readDb<T>(fn: (db: Database.Database) => T): T {
  const db = new Database(harness.dbPath, { readonly: true });
  try {
    return fn(db);
  } finally {
    db.close();
  }
}
const specimen = (name: string) =>
  readDb(
    (db) =>
      db
        .prepare('SELECT s.id, c.name AS label, s.excluded_at AS excludedAt FROM specimens s LEFT JOIN classes c ON c.id = s.label_class_id WHERE s.original_name = ?')
        .get(name) as { id: number; label: string | null; excludedAt: string | null },
  );

/** Waits until the catalogue shows `cond` (the harness writes it; the page only reports it). */
async function until(what: string, cond: () => boolean): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function check(browser: Browser): Promise<void> {
  assert.deepEqual(await cspViolations(browser.page), [], 'no CSP violations');
  assert.deepEqual(browser.problems, [], browser.problems.join('\n'));
}

test('whole catalogue: find label issues, accept the suggestion, undo, redo; exclude and undo; the result stays', async () => {
  const browser = await openContext(chromium, { width: 1280, height: 720 });
  const page: Page = browser.page;
  const notice = (t: string | RegExp) => page.locator('.notice', { hasText: t });
  try {
    await page.goto(harness.url);
    await page.getByRole('link', { name: 'Relabel' }).click();
    // No model has predictions here: the page says so, and offers the whole catalogue, which needs none.
    await page.getByText('Nothing to review yet').waitFor();
    await page.getByRole('radio', { name: 'Whole catalogue' }).check();
    await page.getByRole('button', { name: 'Find label issues' }).click();
    const planted = page.locator('.relabel-item', { hasText: PLANTED });
    // The result, or the job's failure (said, rather than waited out).
    await page.locator('.relabel-item, .label-issues-failed').first().waitFor({ timeout: 120_000 });
    const failed = page.locator('.label-issues-failed');
    if (await failed.isVisible()) assert.fail((await failed.textContent()) ?? 'the job failed');
    await planted.waitFor();
    assert.equal((await planted.locator('.label-text').textContent())?.trim(), 'pyrite');
    assert.equal((await planted.locator('.suggested-text').textContent())?.trim(), 'quartz');
    const before = specimen(PLANTED);
    assert.equal(before.label, 'pyrite');

    // The planted photo under review: its probabilities, and its neighbours' thumbnails.
    await planted.click();
    const pane = page.locator('.relabel-current');
    await pane.locator('.relabel-name', { hasText: PLANTED }).waitFor();
    await pane.locator('.current-suggestion', { hasText: 'quartz' }).waitFor();
    assert.equal(await pane.locator('.probability-bars tr').count(), 3);
    assert.equal(await pane.locator('.neighbour img').count(), 5);
    await pane.locator('.live-label', { hasText: 'pyrite' }).waitFor();
    await screenshot(page, 'relabel-whole-01-issue');

    // a: relabeled to the suggestion, one label operation; z undoes it; shift+z redoes it.
    await page.keyboard.press('a');
    await notice(`Relabeled ${PLANTED} pyrite → quartz (z undoes)`).waitFor();
    assert.equal(specimen(PLANTED).label, 'quartz');
    await planted.locator('.decision-mark', { hasText: 'accepted' }).waitFor();
    await page.keyboard.press('z');
    await notice(/^Undid “label 1 as quartz”/).waitFor();
    assert.equal(specimen(PLANTED).label, 'pyrite');
    await planted.locator('.decision-mark').waitFor({ state: 'detached' });
    await page.keyboard.press('Shift+Z');
    await notice(/^Redid “label 1 as quartz”/).waitFor();
    assert.equal(specimen(PLANTED).label, 'quartz');
    await page.keyboard.press('z');
    await until('the second undo', () => specimen(PLANTED).label === 'pyrite');

    // x on the planted photo: excluded (a label operation), z includes it again; k changes nothing and moves on.
    await planted.click();
    await pane.locator('.relabel-name', { hasText: PLANTED }).waitFor();
    await page.keyboard.press('x');
    await notice(`Excluded ${PLANTED} from training and evaluation (z undoes)`).waitFor();
    assert.notEqual(specimen(PLANTED).excludedAt, null);
    await page.keyboard.press('z');
    await notice(/^Undid “exclude/).waitFor();
    assert.equal(specimen(PLANTED).excludedAt, null);
    // f flags it for an expert, z withdraws the flag; k keeps the label: nothing changes, the cursor moves on.
    await pane.locator('.relabel-name', { hasText: PLANTED }).waitFor();
    const flagged = () => readDb((db) => (db.prepare('SELECT flagged FROM specimens WHERE original_name = ?').get(PLANTED) as { flagged: number }).flagged);
    await page.keyboard.press('f');
    await notice(`Flagged ${PLANTED} for an expert (z undoes)`).waitFor();
    assert.equal(flagged(), 1);
    await page.keyboard.press('z');
    await notice('Unflagged: the flag is withdrawn').waitFor();
    assert.equal(flagged(), 0);
    await pane.locator('.relabel-name', { hasText: PLANTED }).waitFor();
    await page.keyboard.press('k');
    await notice(`Kept pyrite for ${PLANTED}: nothing changes; on to the next`).waitFor();
    await pane.locator('.relabel-name', { hasText: PLANTED }).waitFor({ state: 'detached' });
    assert.equal(specimen(PLANTED).label, 'pyrite');
    await planted.locator('.decision-mark', { hasText: 'kept' }).waitFor();
    const history = readDb((db) => db.prepare('SELECT kind, undone_by IS NOT NULL AS undone FROM label_ops WHERE source != ? ORDER BY id').all('import'));
    assert.ok(history.length >= 4, JSON.stringify(history));

    // The Outliers tab lists photos by how far they sit from the other rocks; x excludes and z includes.
    await page.getByRole('tab', { name: /^Outliers/ }).click();
    const outliers = page.locator('.relabel-item');
    const outlierCount = Number(/\((\d+)\)/.exec((await page.getByRole('tab', { name: /^Outliers/ }).textContent()) ?? '')![1]);
    await page.locator('.relabel-list[aria-label^="Outliers"]').waitFor();
    assert.equal(await outliers.count(), outlierCount);
    // This small catalogue has no photo far enough from every other rock: then the tab says so.
    if (outlierCount === 0) await page.getByText('No outliers.').waitFor();
    else {
      await outliers.first().click();
      const name = (await outliers.first().locator('.relabel-item-name').textContent())!.trim();
      await page.keyboard.press('x');
      await notice(`Excluded ${name} from training and evaluation (z undoes)`).waitFor();
      assert.notEqual(specimen(name).excludedAt, null);
      await screenshot(page, 'relabel-whole-02-outliers');
      await page.keyboard.press('z');
      await until('the outlier included again', () => specimen(name).excludedAt === null);
    }
    await page.getByRole('tab', { name: /^Issues/ }).click();

    // After the pass, one click trains again with run 1's settings, into a fresh folder (stopped here: the
    // training itself is the Training page's test).
    await page.getByRole('button', { name: 'Retrain with the same settings' }).click();
    await notice(/^Training started with the settings of run 1 \(mavit\)/).waitFor();
    type Jobs = { ok: true; value: { jobs: { id: string; kind: string; status: string; params: Record<string, unknown> }[] } };
    const ipc = async (channel: string, body: unknown) => (await page.request.post(`${harness.baseUrl}ipc/${channel}`, { data: body })).json() as Promise<unknown>;
    const trainJob = ((await ipc('jobs.list', {})) as Jobs).value.jobs.find((j) => j.kind === 'train')!;
    assert.ok(trainJob, 'a train job was started');
    assert.equal(trainJob.params.variant, 'mavit');
    assert.equal(trainJob.params.imageSize, 32);
    assert.equal(trainJob.params.seed, 3);
    assert.equal(trainJob.params.limitPerClass, 2);
    assert.notEqual(trainJob.params.outDir, path.join(harness.dir, 'runs', 'run-1'));
    await ipc('jobs.cancel', { jobId: trainJob.id });
    // The button is offered again once the run has stopped (no training runs meanwhile).
    await page.getByRole('button', { name: 'Retrain with the same settings' }).and(page.locator(':enabled')).waitFor();

    // Leaving the page and coming back keeps the source and the last result.
    await page.getByRole('link', { name: 'Catalogue' }).click();
    await page.getByRole('link', { name: 'Relabel' }).click();
    await planted.waitFor();
    await check(browser);
  } finally {
    await browser.close();
  }

  // At 200% zoom of a 1280×720 laptop (640×360 CSS px, two device pixels each): a new visit sees the last result.
  const context = await chromium.newContext({ viewport: { width: 640, height: 360 }, deviceScaleFactor: 2 });
  try {
    const small = await context.newPage();
    await small.goto(harness.url);
    await small.getByRole('link', { name: 'Relabel' }).click();
    await small.getByRole('radio', { name: 'Whole catalogue' }).check();
    await small.locator('.relabel-item', { hasText: PLANTED }).click();
    await small.locator('.relabel-current .relabel-name', { hasText: PLANTED }).waitFor();
    const accept = (await small.getByRole('button', { name: /Accept quartz/ }).boundingBox())!;
    assert.ok(accept.x >= 0 && accept.x + accept.width <= 640, JSON.stringify(accept));
    const width = await small.evaluate(() => (globalThis as unknown as { document: { documentElement: { scrollWidth: number } } }).document.documentElement.scrollWidth);
    assert.ok(width <= 640, `no sideways scrolling: ${width}`);
    await screenshot(small, 'relabel-whole-03-200pct');
    await small.getByRole('button', { name: /Accept quartz/ }).scrollIntoViewIfNeeded();
    await screenshot(small, 'relabel-whole-04-200pct-actions');
  } finally {
    await context.close();
  }
});
