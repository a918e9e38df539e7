// Use case: import a photo folder into the catalogue. The CLI (`orelab import`) and the app's `import` job
// come here with the same ImportParams (shared/schemas/import.ts), already parsed by their shell.
//
//   params (ImportParamsSchema) → checkImport: refuse a missing folder before a job exists
//                               → runImport:   importFolder (jobs/import.ts), progress and result in the contract's shape
import type { JobProgress, JobResult } from '../../shared/ipc';
import type { ImportParams } from '../../shared/schemas';
import { importFolder } from '../jobs/import';
import { requireFolder, type RunHooks, type ServiceContext } from './context';

export type ImportResultInfo = JobResult<'import'>;
export type ImportProgressInfo = JobProgress<'import'>;

/** Refuses a folder that is not there (or is a file), before anything is scanned or recorded. */
export function checkImport(params: ImportParams): void {
  requireFolder(params.folder);
}

/** Imports every photo under the folder; resolves with what it did, `cancelled` when the signal stopped it. */
export async function runImport(ctx: Pick<ServiceContext, 'db'>, params: ImportParams, hooks: RunHooks<ImportProgressInfo> = {}): Promise<ImportResultInfo> {
  checkImport(params);
  const result = await importFolder(ctx.db, {
    folder: params.folder,
    labelsFromFolders: params.labelsFromFolders,
    ...(hooks.signal ? { signal: hooks.signal } : {}),
    ...(hooks.onProgress ? { onProgress: hooks.onProgress } : {}),
  });
  return result satisfies ImportResultInfo;
}
