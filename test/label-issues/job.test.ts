// The app's way to the label audit: the `label-issues` job kind over the real core (the same service as the
// CLI), on real minerals7 photos with the shipped ViT-Ti's embeddings. Its params are checked at the door.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { expectError, jobOf, openTestCore, photoFolder } from '../ipc/helpers';

test('the label-issues job audits the catalogue as the CLI does; bad params are refused, naming the field', async () => {
  const t = openTestCore();
  try {
    const photos = photoFolder(t.dir, { malachite: 4, pyrite: 4, quartz: 4 });
    const { job } = await t.call('jobs.start', { kind: 'import', params: { folder: photos, labelsFromFolders: true } });
    assert.equal((await t.finished(job.id)).status, 'completed');

    const refused = expectError(await t.core.invoke('jobs.start', { kind: 'label-issues', params: { mode: 'cv' } }));
    assert.match(refused.message, /params\.cvRun: mode cv needs the cross-validation run to audit/);

    const started = await t.call('jobs.start', { kind: 'label-issues', params: { folds: 2, device: 'cpu' } });
    const done = jobOf('label-issues', await t.finished(started.job.id));
    assert.equal(done.status, 'completed', JSON.stringify(done.error));
    const r = done.result!;
    assert.equal(r.mode, 'quick');
    assert.equal(r.specimens_scored, 12);
    assert.deepEqual(r.classes, ['malachite', 'pyrite', 'quartz']);
    assert.ok(t.events.some((m) => m.event === 'job.progress' && m.payload.kind === 'label-issues'), 'progress reached the page');
  } finally {
    await t.close();
  }
});
