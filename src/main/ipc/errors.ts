// Errors the dispatcher turns into result envelopes. Services throw UserErrors (src/shared/errors.ts); toIpcError
// maps each kind to a code the renderer can act on and keeps the message, which is written for the user.
import type { z } from 'zod';
import type { IpcErrorCode, IpcErrorInfo, IpcIssue } from '../../shared/ipc';
import { UserError, type UserErrorKind } from '../../shared/errors';

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

/** How each kind of user error travels to the renderer. */
const CODE_FOR_KIND: Record<UserErrorKind, IpcErrorCode> = {
  'invalid-input': 'invalid-request',
  usage: 'invalid-request',
  'not-found': 'not-found',
  conflict: 'conflict',
  busy: 'busy',
  unavailable: 'unavailable',
};

/**
 * The one place the IPC maps errors: a UserError keeps its message, which is written for the user, under
 * its kind's code; anything else is internal (a bug): its stack goes to the log, the renderer gets one line.
 */
export function toIpcError(err: unknown): IpcError {
  if (err instanceof IpcError) return err;
  if (err instanceof UserError) return new IpcError(CODE_FOR_KIND[err.kind], err.message);
  console.error(err);
  const message = err instanceof Error ? err.message : String(err);
  return new IpcError('internal', `unexpected error: ${message}`);
}
