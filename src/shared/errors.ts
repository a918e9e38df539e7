// The one base class for errors written for the user: a bad value or file they gave, a name that clashes, a
// catalogue that is busy or newer than this program. Each says what is wrong with which file or value and
// what to do. The CLI (src/main/cli/index.ts) and the IPC dispatcher (src/main/ipc/errors.ts) map them in one
// place each, by `kind`: one line for the user, no stack trace. Anything else is an internal error: its
// stack goes to the log and the user sees a one-line "unexpected error".

export const USER_ERROR_KINDS = [
  /** A value or file the user gave is unusable (a model file, a class name, a CSV path, a flag's value). */
  'invalid-input',
  /** The command line itself is wrong: the CLI prints the usage and exits 2. */
  'usage',
  /** Something named does not exist (a specimen id, a model id, a file). */
  'not-found',
  /** The request clashes with the current state (a class that exists, a file Orelab did not write). */
  'conflict',
  /** Another job holds what this one needs. */
  'busy',
  /** Not possible here (e.g. native dialogs in the browser harness). */
  'unavailable',
] as const;
export type UserErrorKind = (typeof USER_ERROR_KINDS)[number];

export class UserError extends Error {
  constructor(
    readonly kind: UserErrorKind,
    message: string,
    /** The CLI's exit status for it (default: 2 for usage, else 1). */
    readonly exitCode: number = kind === 'usage' ? 2 : 1,
  ) {
    super(message);
    this.name = new.target.name;
  }
}
