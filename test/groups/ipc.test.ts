// The app's groups.list and groups.separate requests, through the dispatcher over the real services.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { expectError, openTestCore } from '../ipc/helpers';
import { copyMinerals7 } from './catalogue';

const PHOTOS = ['bornite/bb8ed63b3859c1cd.jpg', 'bornite/3aa6da5d58dc9e56.jpg', 'quartz/63910e75a4b51990.jpg'];

test('groups.list shows a near-duplicate pair; groups.separate cuts it; bad requests are refused', async () => {
  const t = openTestCore();
  after(() => t.close());
  const folder = path.join(t.dir, 'photos');
  copyMinerals7(folder, PHOTOS);
  const { job } = await t.call('jobs.start', { kind: 'import', params: { folder, labelsFromFolders: true } });
  assert.equal((await t.finished(job.id)).status, 'completed');

  const listed = await t.call('groups.list', {});
  assert.deepEqual(listed.summary, { specimens: 3, groups: 1, groupedSpecimens: 2, unhashed: 0 });
  const [group] = listed.groups;
  assert.deepEqual(group!.members.map((m) => path.basename(m.path)), ['bb8ed63b3859c1cd.jpg', '3aa6da5d58dc9e56.jpg']);
  assert.equal(group!.links[0]!.kind, 'near-duplicate');

  const recropped = group!.members[1]!.id;
  const cut = await t.call('groups.separate', { specimens: [recropped] });
  assert.deepEqual(cut, { groups: [{ group: group!.group, left: [recropped], remaining: [group!.group] }], cutsAdded: 1 });
  assert.equal((await t.call('groups.list', {})).summary.groups, 0);

  assert.equal(expectError(await t.core.handleRequest('groups.separate', { specimens: [] })).code, 'invalid-request');
  assert.equal(expectError(await t.core.handleRequest('groups.list', { embeddingModel: 'abc' })).code, 'invalid-request');
  const lone = expectError(await t.core.handleRequest('groups.separate', { specimens: [recropped] }));
  assert.equal(lone.code, 'invalid-request');
  assert.match(lone.message, /in no group/);
});
