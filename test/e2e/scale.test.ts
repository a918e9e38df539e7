// The grid at 50,000 specimens: the renderer holds only what it shows. Windowed rows in the DOM, pages fetched
// by range (a jump to the end does not load what lies between), select-all through the main process.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import type { Page } from 'playwright-core';
import { openDatabase, ensureClass, insertSpecimen, putThumbnail, nowIso } from '../../src/main/catalogue';
import { MINERALS7 } from '../helpers/fs';
import { cspViolations, imageLoaded, openBrowser, screenshot, startHarness, type Browser, type RunningHarness } from './support';

const N = 50_000;
let dir: string;
let harness: RunningHarness;
let browser: Browser;
let page: Page;
const pageRequests: string[] = [];

/** 50k specimens over real minerals7 photos (3 per class), with small real thumbnails, written by the catalogue services. */
async function buildCatalogue(file: string): Promise<void> {
  const db = openDatabase(file);
  const sources: { classId: number; file: string; thumb: Buffer; w: number; h: number }[] = [];
  for (const cls of fs.readdirSync(MINERALS7).filter((d) => fs.statSync(path.join(MINERALS7, d)).isDirectory()).sort()) {
    const classId = ensureClass(db, cls);
    for (const name of fs.readdirSync(path.join(MINERALS7, cls)).sort().slice(0, 3)) {
      const photo = path.join(MINERALS7, cls, name);
      const { data, info } = await sharp(photo).resize(64, 64, { fit: 'inside' }).jpeg({ quality: 50 }).toBuffer({ resolveWithObject: true });
      sources.push({ classId, file: photo, thumb: data, w: info.width, h: info.height });
    }
  }
  db.transaction(() => {
    for (let i = 0; i < N; i++) {
      const s = sources[i % sources.length]!;
      const id = insertSpecimen(db, {
        sha256: crypto.createHash('sha256').update(`specimen ${i}`).digest('hex'),
        path: s.file,
        originalName: `s${String(i).padStart(5, '0')}.jpg`,
        byteSize: fs.statSync(s.file).size,
        format: 'jpeg',
        width: 64,
        height: 64,
        exifDate: null,
        importedAt: nowIso(),
        labelClassId: s.classId,
      });
      putThumbnail(db, id, s.w, s.h, s.thumb);
    }
  })();
  db.close();
}

before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'orelab-e2e-50k-'));
  const file = path.join(dir, 'big.sqlite');
  await buildCatalogue(file);
  harness = await startHarness(file);
  browser = await openBrowser(harness.url);
  page = browser.page;
  page.on('request', (r) => {
    if (r.url().includes('/ipc/specimens.page')) pageRequests.push(r.postData() ?? '');
  });
});
after(async () => {
  await browser?.close();
  await harness?.stop();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

const cellCount = () => page.locator('.cell').count();

test('50k specimens: only the visible rows exist, and End jumps to the last one without loading the rest', async () => {
  await page.locator('.result-count', { hasText: '50,000 specimens' }).waitFor();
  await imageLoaded(page, '.cell[data-index="0"] img');
  const initial = await cellCount();
  assert.ok(initial > 0 && initial < 150, `rendered cells: ${initial}`);

  await page.locator('.cell[data-index="0"]').click();
  await page.keyboard.press('End');
  const last = page.locator(`.cell[data-index="${N - 1}"]`);
  await last.waitFor();
  await imageLoaded(page, `.cell[data-index="${N - 1}"] img`);
  await page.locator('.detail-panel h2', { hasText: 's49999.jpg' }).waitFor();
  assert.ok((await cellCount()) < 150);
  const offsets = pageRequests.map((body) => (JSON.parse(body) as { offset: number }).offset);
  assert.ok(offsets.length <= 8, `pages requested: ${offsets.join(', ')}`);
  assert.ok(offsets.every((o) => o === 0 || o >= N - 1000), `only the first and the last pages: ${offsets.join(', ')}`);
  await screenshot(page, '13-catalogue-50k');

  // Wheel scrolling keeps the DOM windowed too.
  await page.mouse.move(600, 400);
  for (let i = 0; i < 10; i++) await page.mouse.wheel(0, -2000);
  await page.keyboard.press('ArrowUp');
  assert.ok((await cellCount()) < 150);
});

test('50k specimens: select-all in Labeling selects the whole filter through the main process', async () => {
  await page.getByRole('link', { name: 'Labeling' }).click();
  await page.locator('.result-count', { hasText: '50,000 specimens' }).waitFor();
  await page.locator('.cell[data-index="0"]').click();
  await page.keyboard.press('Control+a');
  await page.locator('.selection-count', { hasText: '50,000 specimens selected' }).waitFor();
  await page.keyboard.press('Escape');
  await page.locator('.selection-count', { hasText: /^1 specimen selected$/ }).waitFor();
  assert.deepEqual(await cspViolations(page), []);
  assert.deepEqual(browser.problems, [], browser.problems.join('\n'));
});
