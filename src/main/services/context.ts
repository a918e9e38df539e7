// What every use case gets from its shell: the open catalogue, and for long ones a signal and a progress sink;
// and the checks several use cases make of what the user named.
import fs from 'node:fs';
import path from 'node:path';
import { UserError } from '../../shared/errors';
import type { Db } from '../catalogue';

export interface ServiceContext {
  db: Db;
  /** The catalogue file (caches and run folders live beside it). */
  cataloguePath: string;
}

export interface RunHooks<Progress> {
  signal?: AbortSignal;
  onProgress?: (p: Progress) => void;
}

/** A folder the user named must be one: else a not-found or invalid-input error naming it. */
export function requireFolder(folder: string): void {
  const resolved = path.resolve(folder);
  let st: fs.Stats;
  try {
    st = fs.statSync(resolved);
  } catch {
    throw new UserError('not-found', `${resolved}: no such folder`);
  }
  if (!st.isDirectory()) throw new UserError('invalid-input', `${resolved} is a file, not a folder`);
}
