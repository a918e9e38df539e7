// What `files.openFolder` may hand to the desktop's file manager (Electron's shell.openPath). openPath opens
// a path with its default handler, so a file or an executable would be launched, and so would a directory
// that the desktop treats as a program (a macOS .app bundle and its relatives): only plain folders pass.
// No Electron here, so that the check runs under Node in the tests and in the dispatcher.
import fs from 'node:fs';
import path from 'node:path';

/**
 * Directory suffixes that a desktop opens as a program or installs rather than showing as a folder (macOS
 * bundles and packages; on Windows and Linux the names of launchable files, refused as folders too, since a
 * folder with such a name exists only to look like one).
 */
const BUNDLE_SUFFIXES = new Set([
  '.app',
  '.appex',
  '.bundle',
  '.framework',
  '.plugin',
  '.kext',
  '.prefpane',
  '.qlgenerator',
  '.mdimporter',
  '.xpc',
  '.workflow',
  '.action',
  '.saver',
  '.service',
  '.pkg',
  '.mpkg',
  '.exe',
  '.com',
  '.bat',
  '.cmd',
  '.msi',
  '.scr',
  '.lnk',
  '.desktop',
  '.appimage',
]);

export type FolderCheck =
  /** `folder`: the path as given (resolved), for messages; `real`: the folder itself, the only thing to open. */
  | { ok: true; folder: string; real: string }
  | { ok: false; reason: 'missing' | 'not-a-folder' | 'bundle'; message: string };

function isBundleName(name: string): boolean {
  return BUNDLE_SUFFIXES.has(path.extname(name).toLowerCase());
}

/**
 * Whether `p` is a plain folder that may be shown in the file manager. Symlinks are followed first and the
 * real path is what gets checked and opened, so a link named like a folder cannot smuggle in a bundle.
 */
export function checkFolderToOpen(p: string): FolderCheck {
  const folder = path.resolve(p);
  let real: string;
  let st: fs.Stats;
  try {
    real = fs.realpathSync(folder);
    st = fs.statSync(real);
  } catch {
    return { ok: false, reason: 'missing', message: `${folder}: no such folder` };
  }
  if (!st.isDirectory()) return { ok: false, reason: 'not-a-folder', message: `${folder} is not a folder (only folders are opened, never files or programs)` };
  if (isBundleName(folder) || isBundleName(real)) {
    return { ok: false, reason: 'bundle', message: `${folder} is an application bundle or program, not a plain folder; it is not opened` };
  }
  return { ok: true, folder, real };
}
