// Path text for the forms' suggested defaults. The renderer has no `path` module (sandboxed, no Node); the main
// process resolves and checks every path it receives, so these only need to read well. Pure: tested in Node.

/** The separator a path already uses (Windows paths use backslashes). */
function separatorOf(p: string): string {
  return p.includes('\\') && !p.includes('/') ? '\\' : '/';
}

export function dirname(p: string): string {
  const trimmed = p.replace(/[\\/]+$/, '');
  const at = Math.max(trimmed.lastIndexOf('/'), trimmed.lastIndexOf('\\'));
  if (at < 0) return '.';
  return at === 0 ? trimmed.slice(0, 1) : trimmed.slice(0, at);
}

export function basename(p: string): string {
  const trimmed = p.replace(/[\\/]+$/, '');
  return trimmed.slice(Math.max(trimmed.lastIndexOf('/'), trimmed.lastIndexOf('\\')) + 1);
}

export function joinPath(dir: string, ...parts: string[]): string {
  const sep = separatorOf(dir);
  return [dir.replace(/[\\/]+$/, ''), ...parts].join(sep);
}

/** Where a batch run writes by default: a folder beside the photos, "<folder>-orelab". */
export function batchOutputFolder(folder: string): string {
  const trimmed = folder.trim().replace(/[\\/]+$/, '');
  return trimmed === '' ? '' : `${trimmed}-orelab`;
}
