// The app's `classify` job and `orelab classify` go through the same service (services/classify.ts): for the
// same folder and model they write the same predictions CSV (all but the time column) and count the same.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { parseCsv } from '../../src/main/jobs/classify/csv';
import { makeTinyClassifier } from '../helpers/model';
import { parseJson, runOrelab } from '../helpers/cli';
import { jobOf, openTestCore, photoFolder } from '../ipc/helpers';

/** The CSV's rows without the time column (when each row was written). */
function rowsWithoutTime(file: string): string[][] {
  const rows = parseCsv(fs.readFileSync(file, 'utf8'));
  const time = rows[0]!.indexOf('time');
  assert.ok(time >= 0);
  return rows.map((r) => r.filter((_, i) => i !== time)).sort((a, b) => a.join().localeCompare(b.join()));
}

test('the IPC classify job and the CLI write the same predictions for the same folder and model', async () => {
  const t = openTestCore();
  try {
    const folder = photoFolder(t.dir, { quartz: 2, biotite: 2 });
    fs.writeFileSync(path.join(folder, 'broken.jpg'), 'not a jpeg');
    const file = makeTinyClassifier(t.dir, ['biotite', 'muscovite', 'quartz'], { seed: 5 });
    const modelId = (await t.call('models.add', { path: file })).model.id;

    const appCsv = path.join(t.dir, 'app', 'predictions.csv');
    const { job } = await t.call('jobs.start', { kind: 'classify', params: { folder, modelId, csv: appCsv, recordInCatalogue: false } });
    const app = jobOf('classify', await t.finished(job.id));
    assert.equal(app.status, 'completed', app.error ?? '');

    const cliCsv = path.join(t.dir, 'cli', 'predictions.csv');
    const run = runOrelab(['classify', folder, '--model', file, '--csv', cliCsv, '--json']);
    assert.equal(run.status, 0, run.stderr);
    const cli = parseJson<{ modelId: string; classified: number; predicted: Record<string, number>; errors: unknown[]; report: { accuracy: number } | null; accuracy: number | null; provider: string }>(run);

    assert.deepEqual(rowsWithoutTime(cliCsv), rowsWithoutTime(appCsv));
    const r = app.result!;
    assert.equal(cli.modelId, r.modelId);
    assert.equal(cli.classified, r.classified);
    assert.deepEqual(cli.predicted, r.predicted);
    assert.equal(cli.errors.length, r.errors.length);
    assert.equal(cli.accuracy, r.report?.accuracy ?? null);
  } finally {
    await t.close();
  }
});
