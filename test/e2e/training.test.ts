// The Training page: a tiny real run from an empty runs list, and a run stopped mid-way and resumed beside an
// earlier run's model (two models side by side in Reports). Each flow on its own catalogue (fixtures.ts).
import assert from 'node:assert/strict';
import { flow, flows, valueChangesFrom } from './fixtures';
import { screenshot } from './support';

// One at a time: each run keeps both cores busy, and two at once would only slow both.
flows('Training', () => {
  flow('training: a tiny real MA-ViT run (ViT-Ti backbone, 32 px, 6 photos per class, 2 epochs) with live curves and the kept checkpoint', { split: true }, async ({ page, harness, readDb, text }) => {
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

    // The new model's report is one click away: not evaluated yet.
    await page.getByRole('button', { name: 'Open the report' }).click();
    await page.locator('.topbar-title', { hasText: 'Reports' }).waitFor();
    assert.equal(await page.locator('#report-model').inputValue(), models[0]!.id);
    const testCount = readDb((db) => (db.prepare("SELECT COUNT(*) AS n FROM specimens WHERE split = 'test'").get() as { n: number }).n);
    await page.locator('.evaluate-hint', { hasText: `${testCount} test specimens have no prediction` }).waitFor();

    // Back on Training: a fresh folder is suggested after a run, so the next one never overwrites its model, and
    // the trial settings survive the page switch.
    await page.getByRole('link', { name: 'Training' }).click();
    await valueChangesFrom(page, '#train-out', outDir);
    assert.notEqual(await page.locator('#train-out').inputValue(), run[0]!.outDir, 'a fresh folder is suggested after a run');
    assert.equal(await page.locator('#train-size').inputValue(), '32');
    assert.equal(await page.locator('#train-limit').inputValue(), '6');
    assert.equal(await page.locator('#train-device').inputValue(), 'cpu');
  });

  // Run 1 (completed, with its model evaluated on the test split) is made by the catalogue services.
  flow('training: a second run stopped mid-way resumes from its checkpoint; two models side by side in Reports', { trainedRun: true }, async ({ page, harness, readDb }) => {
    await page.getByRole('link', { name: 'Training' }).click();
    await page.locator('.runs-table tr[data-run="1"] .run-status', { hasText: 'completed' }).waitFor();
    const outDir = await page.locator('#train-out').inputValue();
    const first = readDb((db) => (db.prepare('SELECT out_dir AS outDir FROM training_runs WHERE id = 1').get() as { outDir: string }).outDir);
    assert.notEqual(outDir, first, 'the suggested folder is never an earlier run\'s, so the next run never overwrites its model');
    assert.ok(outDir.startsWith(harness.dir), outDir);
    // The trial settings of the first flow; more epochs leave room to stop in the middle.
    await page.getByText('Quick trial run and recipe').click();
    await page.locator('#train-size').selectOption('32');
    await page.locator('#train-limit').fill('6');
    await page.locator('#train-batch').fill('4');
    await page.locator('#train-lr').fill('0.0001');
    await page.locator('#train-device').selectOption('cpu');
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
}, { atOnce: 1 });
