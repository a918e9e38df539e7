// The job kinds the app can run, over the real services. Add a kind here after adding its schemas to
// shared/ipc JOB_KINDS; thread-blocking work (training, inference) belongs in a worker (../jobs/worker.ts).
import fs from 'node:fs';
import path from 'node:path';
import { importFolder } from '../jobs/import';
import type { JobDefinitions } from '../jobs/manager';
import type { CatalogueSession } from './session';
import { IpcError } from './errors';

export function jobDefinitions(session: CatalogueSession): JobDefinitions {
  return {
    import: {
      exclusive: true,
      check(params) {
        session.requireDb();
        let st: fs.Stats;
        try {
          st = fs.statSync(params.folder);
        } catch {
          throw new IpcError('not-found', `${path.resolve(params.folder)}: no such folder`);
        }
        if (!st.isDirectory()) throw new IpcError('invalid-request', `${path.resolve(params.folder)} is a file, not a folder`);
      },
      // The import is asynchronous (streamed scan, libvips decoding off-thread, small transactions): it runs here.
      run: (params, ctx) =>
        importFolder(session.requireDb(), {
          folder: params.folder,
          labelsFromFolders: params.labelsFromFolders,
          signal: ctx.signal,
          onProgress: (p) => ctx.progress(p),
        }),
    },
  };
}
