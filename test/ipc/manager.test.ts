// The job manager's contract, with job definitions written here (their bodies are the test's input):
// ids, the last progress always delivered before `finished`, cancellation, failures, exclusivity.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { JobManager, JobBusyError, type JobDefinition, type JobSink } from '../../src/main/jobs/manager';
import type { JobInfo, JobProgress, JobProgressEvent, JobResult } from '../../src/shared/ipc';

const result = (cancelled: boolean, n: number): JobResult<'import'> => ({
  folder: '/f',
  scanned: n,
  new: n,
  duplicates: 0,
  labeled: 0,
  skippedNonImage: 0,
  errors: [],
  warnings: [],
  classes: {},
  specimensTotal: n,
  seconds: 0,
  imagesPerSecond: 0,
  cancelled,
});

function recorder() {
  const progress: JobProgressEvent[] = [];
  const finished: JobInfo[] = [];
  const waiters: ((info: JobInfo) => void)[] = [];
  const sink: JobSink = {
    progress: (e) => progress.push(e),
    finished: (info) => {
      finished.push(info);
      waiters.splice(0).forEach((w) => w(info));
    },
  };
  return { sink, progress, finished, next: () => new Promise<JobInfo>((r) => waiters.push(r)) };
}

/** A job that reports `steps` progress updates, then waits for `release` (or the abort signal). */
function steppedJob(steps: number, release: Promise<void>): JobDefinition<'import'> {
  return {
    exclusive: true,
    async run(_params, ctx) {
      for (let i = 1; i <= steps; i++) ctx.progress({ done: i, total: steps, new: i, duplicates: 0, errors: 0, currentPath: `/f/${i}.jpg` });
      await Promise.race([release, new Promise((r) => ctx.signal.addEventListener('abort', r))]);
      return result(ctx.signal.aborted, steps);
    },
  };
}

test('progress is coalesced, but the last update always arrives, before finished', async () => {
  let release!: () => void;
  const r = recorder();
  // A long interval: only the first update goes out at once; the rest are coalesced into the last one.
  const jobs = new JobManager({ import: steppedJob(50, new Promise((res) => (release = res))) }, r.sink, { progressIntervalMs: 60_000 });
  const done = r.next();
  const job = await jobs.start({ kind: 'import', params: { folder: '/f', labelsFromFolders: false } });
  assert.equal(job.status, 'running');
  assert.equal((jobs.get(job.id)?.progress as JobProgress<'import'> | null)?.done, 50);
  release();
  const info = await done;
  assert.equal(info.status, 'completed');
  assert.deepEqual(
    r.progress.map((e) => (e.progress as JobProgress<'import'>).done),
    [1, 50],
  );
  assert.equal((info.progress as JobProgress<'import'> | null)?.done, 50);
  assert.equal((info.result as JobResult<'import'> | null)?.new, 50);
  assert.ok(info.finishedAt);
});

test('cancel aborts the signal; the job ends cancelled; exclusive kinds refuse a second job', async () => {
  const r = recorder();
  const jobs = new JobManager({ import: steppedJob(1, new Promise(() => undefined)) }, r.sink, { progressIntervalMs: 0 });
  const job = await jobs.start({ kind: 'import', params: { folder: '/f', labelsFromFolders: false } });
  await assert.rejects(jobs.start({ kind: 'import', params: { folder: '/g', labelsFromFolders: false } }), JobBusyError);
  assert.equal(jobs.isBusy(), true);
  const done = r.next();
  assert.equal(jobs.cancel(job.id), true);
  const info = await done;
  assert.equal(info.status, 'cancelled');
  assert.equal((info.result as JobResult<'import'> | null)?.cancelled, true);
  assert.equal(jobs.cancel(job.id), false);
  assert.equal(jobs.cancel('job-404'), false);
  assert.equal(jobs.isBusy(), false);
  assert.deepEqual(
    jobs.list().map((j) => j.status),
    ['cancelled'],
  );
});

test('a job that throws is failed with its message; a failing check creates no job', async () => {
  const r = recorder();
  const jobs = new JobManager(
    {
      import: {
        check(params) {
          if (params.folder === '/refused') throw new Error('refused before start');
        },
        async run() {
          throw new Error('disk on fire');
        },
      },
    },
    r.sink,
  );
  await assert.rejects(jobs.start({ kind: 'import', params: { folder: '/refused', labelsFromFolders: false } }), /refused before start/);
  assert.deepEqual(jobs.list(), []);
  const done = r.next();
  const job = await jobs.start({ kind: 'import', params: { folder: '/f', labelsFromFolders: false } });
  const info = await done;
  assert.equal(info.id, job.id);
  assert.equal(info.status, 'failed');
  assert.equal(info.error, 'disk on fire');
  assert.equal((await jobs.wait(job.id)).status, 'failed');
});

test('cancelAll stops every running job and waits for them', async () => {
  const r = recorder();
  const jobs = new JobManager({ import: { ...steppedJob(2, new Promise(() => undefined)), exclusive: false } }, r.sink, { progressIntervalMs: 0 });
  const a = await jobs.start({ kind: 'import', params: { folder: '/a', labelsFromFolders: false } });
  const b = await jobs.start({ kind: 'import', params: { folder: '/b', labelsFromFolders: false } });
  assert.notEqual(a.id, b.id);
  await jobs.cancelAll();
  assert.deepEqual(
    r.finished.map((f) => [f.id, f.status]).sort(),
    [
      [a.id, 'cancelled'],
      [b.id, 'cancelled'],
    ],
  );
});
