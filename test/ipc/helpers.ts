// Shared set-up for the IPC tests: a real core on a real catalogue file, with a small folder of real photos.
import fs from 'node:fs';
import path from 'node:path';
import { createCore, type OrelabCore } from '../../src/main/ipc/core';
import type { EventMessage, IpcResult, JobInfo, RequestChannel, RequestOf, ResponseOf } from '../../src/shared/ipc';
import os from 'node:os';
import { MINERALS7 } from '../helpers/fs';

/** Copies the first `perClass` photos of each named minerals7 class into <dir>/<class>/ (a temp folder, never the repo). */
export function photoFolder(dir: string, classes: Record<string, number>): string {
  const root = path.join(dir, 'photos');
  for (const [name, count] of Object.entries(classes)) {
    fs.mkdirSync(path.join(root, name), { recursive: true });
    const files = fs.readdirSync(path.join(MINERALS7, name)).sort().slice(0, count);
    for (const f of files) fs.copyFileSync(path.join(MINERALS7, name, f), path.join(root, name, f));
  }
  return root;
}

export interface TestCore {
  core: OrelabCore;
  dir: string;
  dbPath: string;
  events: EventMessage[];
  /** Calls a channel and returns its value; throws with the error envelope if it failed. */
  call<C extends RequestChannel>(channel: C, request: RequestOf<C>): Promise<ResponseOf<C>>;
  /** Resolves with the job.finished payload of a job. */
  finished(jobId: string): Promise<JobInfo>;
  /** Shuts the core down and removes the temp folder. */
  close(): Promise<void>;
}

export function openTestCore(): TestCore {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'orelab-ipc-'));
  const dbPath = path.join(dir, 'catalogue.sqlite');
  const core = createCore({ shell: 'harness', version: 'test' }, { progressIntervalMs: 0 });
  core.session.open(dbPath, true);
  const events: EventMessage[] = [];
  const waiters = new Map<string, (info: JobInfo) => void>();
  core.events.subscribe((m) => {
    events.push(m);
    if (m.event === 'job.finished') waiters.get(m.payload.id)?.(m.payload);
  });
  return {
    core,
    dir,
    dbPath,
    events,
    async call(channel, request) {
      const r = await core.invoke(channel, request);
      if (!r.ok) throw new Error(`${channel} failed: ${r.error.code}: ${r.error.message}`);
      return r.value;
    },
    async close() {
      await core.shutdown();
      fs.rmSync(dir, { recursive: true, force: true });
    },
    finished(jobId) {
      const done = events.find((m) => m.event === 'job.finished' && m.payload.id === jobId);
      if (done && done.event === 'job.finished') return Promise.resolve(done.payload);
      return new Promise((resolve) => waiters.set(jobId, resolve));
    },
  };
}

/** Narrows a job to one kind (a test that started an import expects an import's result). */
export function jobOf<K extends JobInfo['kind']>(kind: K, info: JobInfo): Extract<JobInfo, { kind: K }> {
  if (info.kind !== kind) throw new Error(`expected a ${kind} job, got ${info.kind}`);
  return info as Extract<JobInfo, { kind: K }>;
}

export function expectError<T>(r: IpcResult<T>): NonNullable<Extract<IpcResult<T>, { ok: false }>['error']> {
  if (r.ok) throw new Error(`expected an error, got ${JSON.stringify(r.value).slice(0, 200)}`);
  return r.error;
}
