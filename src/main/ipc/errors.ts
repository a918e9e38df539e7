// Errors the dispatcher turns into result envelopes. Services throw their own error classes; toIpcError maps
// them to a code the renderer can act on and keeps their message, which is written for the user.
import type { z } from 'zod';
import type { IpcErrorCode, IpcErrorInfo, IpcIssue } from '../../shared/ipc';
import { ClassError, CatalogueOpenError, CatalogueVersionError, SpecimenReferenceError, LabelTargetError, ModelReferenceError } from '../catalogue';
import { JobBusyError } from '../jobs/manager';
import { SymlinkTargetError } from '../base/atomic-write';

export class IpcError extends Error {
  constructor(
    readonly code: IpcErrorCode,
    message: string,
    readonly issues?: IpcIssue[],
  ) {
    super(message);
  }

  toInfo(): IpcErrorInfo {
    return this.issues ? { code: this.code, message: this.message, issues: this.issues } : { code: this.code, message: this.message };
  }
}

/** "specimenIds: Invalid input: expected array, received string; classId: ..." with every field named. */
export function issuesFromZod(error: z.ZodError): IpcIssue[] {
  return error.issues.map((i) => {
    const path = i.path.map(String).join('.');
    const keys = i.code === 'unrecognized_keys' ? ` (${i.keys.join(', ')})` : '';
    return { path, message: `${i.message}${keys}` };
  });
}

export function invalidRequest(channel: string, error: z.ZodError): IpcError {
  const issues = issuesFromZod(error);
  const text = issues.map((i) => (i.path ? `${i.path}: ${i.message}` : i.message)).join('; ');
  return new IpcError('invalid-request', `invalid request for ${channel}: ${text}`, issues);
}

export function toIpcError(err: unknown): IpcError {
  if (err instanceof IpcError) return err;
  if (err instanceof JobBusyError) return new IpcError('busy', err.message);
  if (err instanceof ClassError || err instanceof LabelTargetError) return new IpcError('conflict', err.message);
  if (err instanceof SpecimenReferenceError) return new IpcError('not-found', err.message);
  if (err instanceof ModelReferenceError) return new IpcError('invalid-request', err.message);
  if (err instanceof CatalogueVersionError) return new IpcError('conflict', err.message);
  // Not SQLite, read-only, a folder: the file the user picked cannot be a catalogue, and the message names it.
  if (err instanceof CatalogueOpenError) return new IpcError('invalid-request', err.message);
  // An export path the user named is a symlink: their choice conflicts with the file there, and the message
  // names it (not an 'internal' failure).
  if (err instanceof SymlinkTargetError) return new IpcError('conflict', err.message);
  if (err instanceof RangeError) {
    return new IpcError(/^no specimen/.test(err.message) ? 'not-found' : 'invalid-request', err.message);
  }
  if (err instanceof Error && (err as { code?: unknown }).code === 'SQLITE_NOTADB') {
    return new IpcError('invalid-request', 'that file is not an Orelab catalogue (not an SQLite database)');
  }
  const message = err instanceof Error ? err.message : String(err);
  return new IpcError('internal', `unexpected error: ${message}`);
}
