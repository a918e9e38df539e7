// The one rule for class names, shared by the catalogue (names people type), the model loader (names a
// model file declares) and the CLI. A class name becomes a folder name when photos are sorted
// (`<sort root>/<class>/`), a CSV column (`p_<class>`) and a label in the app, so a name is refused when it
// could leave the sort root, collide with the review folder, be a reserved or unusable file name on
// Windows or macOS, or carry control characters into a terminal or a spreadsheet. Pure TypeScript: it runs
// in the main process, the CLI and the renderer alike.
import { UserError } from './errors';

export const CLASS_NAME_MAX_LENGTH = 100;

/** The folder low-confidence photos are sorted into; no class may be called that (or start with "_"). */
export const REVIEW_FOLDER = '_review';

export class ClassNameError extends UserError {
  constructor(message: string) {
    super('invalid-input', message);
  }
}

/** C0 controls (NUL, tab, newline, CR, ESC...), DEL and the C1 controls. */
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

/**
 * Device names Windows reserves in every folder, with or without an extension ("con.txt" is CON too), case
 * insensitive; the superscript digits count as digits there. A folder with such a name cannot be created.
 */
const WINDOWS_RESERVED = /^(con|prn|aux|nul|com[1-9¹²³]|lpt[1-9¹²³])$/i;

/**
 * The name quoted for a message, with control characters escaped so that they cannot act on a terminal:
 * JSON escapes C0 but leaves DEL, the C1 controls, the line separators and the bidirectional overrides (which
 * can make a message read other than it is) as they are.
 */
export function quoteClassName(name: string): string {
  const shown = name.length > 60 ? `${name.slice(0, 60)}…` : name;
  return JSON.stringify(shown).replace(/[\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/**
 * Why `name` cannot be a class name, naming it (e.g. `class name "a/b" contains / or \...`), or null when it
 * can. The reason carries no advice: what to do differs between typing a name, loading a model and training,
 * so callers append it (see checkClassName). The name is checked as given: callers that take typed input trim
 * it first (normalizeClassName).
 */
export function classNameProblem(name: string): string | null {
  const q = quoteClassName(name);
  if (name.length === 0) return 'class name is empty';
  if (name.length > CLASS_NAME_MAX_LENGTH) return `class name ${q} is longer than ${CLASS_NAME_MAX_LENGTH} characters (${name.length})`;
  if (CONTROL.test(name)) return `class name ${q} contains a control character (newline, tab, escape...)`;
  if (/[/\\]/.test(name)) return `class name ${q} contains / or \\, which would make its sorting folder a path`;
  if (name === '.' || name === '..') return `class name ${q} is a folder reference ("." or "..")`;
  if (/^\s|\s$/.test(name)) return `class name ${q} starts or ends with a space`;
  if (name.startsWith('.') || name.endsWith('.')) return `class name ${q} starts or ends with a dot (a hidden folder, or one Windows renames)`;
  if (name.startsWith('_')) return `class name ${q} starts with "_", which is reserved for Orelab's folders such as ${REVIEW_FOLDER}`;
  // Windows takes the part before the first dot, trailing spaces dropped, as the device name.
  const stem = name.split('.')[0]!.trimEnd();
  if (WINDOWS_RESERVED.test(stem)) return `class name ${q} is a device name Windows reserves (CON, PRN, AUX, NUL, COM1–9, LPT1–9, also with an extension)`;
  return null;
}

/** Throws a ClassNameError, advising another name, when `name` breaks the rule. */
export function checkClassName(name: string): string {
  const problem = classNameProblem(name);
  if (problem !== null) throw new ClassNameError(`${problem}; choose another name`);
  return name;
}

/**
 * A name a person typed: surrounding spaces are dropped (they are invisible and never meant), then the rule
 * applies to what is left, which is what gets stored.
 */
export function normalizeClassName(typed: string): string {
  return checkClassName(typed.trim());
}

/**
 * Why a model's list of class names is unusable, or null. Every name must pass the rule, and no two may
 * differ only in case: they would share a sorting folder on case-insensitive file systems, a `p_<class>` CSV
 * column, and the catalogue's case-insensitive class.
 */
export function classListProblem(names: readonly string[]): string | null {
  const seen = new Map<string, string>();
  for (const name of names) {
    const problem = classNameProblem(name);
    if (problem !== null) return problem;
    const key = name.toLowerCase();
    const earlier = seen.get(key);
    if (earlier !== undefined) {
      return earlier === name
        ? `class name ${quoteClassName(name)} is listed twice`
        : `class names ${quoteClassName(earlier)} and ${quoteClassName(name)} differ only in case (they would share a folder and a CSV column)`;
    }
    seen.set(key, name);
  }
  return null;
}
