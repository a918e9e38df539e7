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

/**
 * A file the user names for output must be writable as named before any work is done: not a folder, in a
 * folder that exists. (A symlink there is left to writeCsvFile, which refuses to write through it.)
 */
export function requireOutputFile(file: string): void {
  const resolved = path.resolve(file);
  // The folder first: below a file, even lstat fails (ENOTDIR).
  const parent = path.dirname(resolved);
  let folder: fs.Stats | undefined;
  try {
    folder = fs.statSync(parent, { throwIfNoEntry: false });
  } catch {
    folder = undefined;
  }
  if (!folder) throw new UserError('not-found', `${parent}: no such folder`);
  if (!folder.isDirectory()) throw new UserError('invalid-input', `${parent} is a file, not a folder`);
  const existing = fs.lstatSync(resolved, { throwIfNoEntry: false });
  if (existing?.isDirectory()) throw new UserError('invalid-input', `${resolved} is a folder; give a file name`);
}
