import fs from 'node:fs';
import path from 'node:path';
import { isUtf8 } from 'node:buffer';
import type { InputError } from '../../shared/domain';

export const IMAGE_EXTENSIONS = new Set(['.jpg', '.jpeg', '.jpe', '.png', '.webp', '.tif', '.tiff', '.gif', '.avif', '.heic', '.heif', '.bmp']);

export function isImageName(name: string): boolean {
  return IMAGE_EXTENSIONS.has(path.extname(name).toLowerCase());
}

export type ScanEntry =
  | { kind: 'image'; path: string; /** First folder under the scan root, or null for files at the root. */ classFolder: string | null }
  | { kind: 'skipped'; path: string }
  | { kind: 'error'; error: InputError };

/**
 * Walks a folder tree lazily (one open directory handle per level, entries streamed), so memory stays
 * flat however many files there are. Symlinks are followed; a directory reached twice (a symlink loop) is
 * reported once and not entered again. Errors are yielded, never thrown, except for an unreadable root.
 */
export async function* scanFolder(root: string): AsyncGenerator<ScanEntry> {
  const rootReal = await fs.promises.realpath(root);
  const rootStat = await fs.promises.stat(rootReal);
  if (!rootStat.isDirectory()) throw new Error(`${root} is not a folder`);
  const visited = new Set<string>([`${rootStat.dev}:${rootStat.ino}`]);
  yield* walk(path.resolve(root), null, visited);
}

async function* walk(dir: string, classFolder: string | null, visited: Set<string>): AsyncGenerator<ScanEntry> {
  let handle: fs.Dir;
  try {
    handle = await fs.promises.opendir(dir, { bufferSize: 64 });
  } catch (err) {
    yield { kind: 'error', error: { path: dir, reason: describeFsError(err, 'cannot open folder') } };
    return;
  }
  // Names whose bytes are not UTF-8, as Node decodes them (U+FFFD for each bad byte), listed only when a
  // name in this folder holds U+FFFD: such a path cannot be opened, and would otherwise read as vanished.
  let invalidNames: Set<string> | null = null;
  const hasInvalidName = async (name: string): Promise<boolean> => {
    if (!name.includes('\uFFFD')) return false;
    if (!invalidNames) {
      const raw = await fs.promises.readdir(dir, { encoding: 'buffer' }).catch(() => []);
      invalidNames = new Set(raw.filter((bytes) => !isUtf8(bytes)).map((bytes) => bytes.toString('utf8')));
    }
    return invalidNames.has(name);
  };
  try {
    for await (const entry of handle) {
      const full = path.join(dir, entry.name);
      let isDir = entry.isDirectory();
      let isFile = entry.isFile();
      // A regular file that is not an image is skipped whatever its name; anything else with such a name is reported.
      if (!(isFile && !isImageName(entry.name)) && (await hasInvalidName(entry.name))) {
        yield { kind: 'error', error: { path: full, reason: 'the file name is not valid UTF-8; rename it' } };
        continue;
      }
      if (entry.isSymbolicLink()) {
        try {
          const target = await fs.promises.stat(full);
          isDir = target.isDirectory();
          isFile = target.isFile();
        } catch (err) {
          yield { kind: 'error', error: { path: full, reason: await describeLinkError(full, err) } };
          continue;
        }
      }
      if (isDir) {
        try {
          const st = await fs.promises.stat(full);
          const key = `${st.dev}:${st.ino}`;
          if (visited.has(key)) {
            yield { kind: 'error', error: { path: full, reason: 'symlink loop: this folder was already scanned' } };
            continue;
          }
          visited.add(key);
        } catch (err) {
          yield { kind: 'error', error: { path: full, reason: describeFsError(err, 'cannot read folder') } };
          continue;
        }
        yield* walk(full, classFolder ?? entry.name, visited);
      } else if (isFile) {
        yield isImageName(entry.name) ? { kind: 'image', path: full, classFolder } : { kind: 'skipped', path: full };
      } else if (isImageName(entry.name)) {
        yield { kind: 'error', error: { path: full, reason: 'not a regular file' } };
      }
    }
  } catch (err) {
    yield { kind: 'error', error: { path: dir, reason: describeFsError(err, 'folder listing failed') } };
  } finally {
    await handle.close().catch(() => undefined);
  }
}

/** Counts image files without holding their names, for a progress total. */
export async function countImages(root: string): Promise<number> {
  let n = 0;
  for await (const e of scanFolder(root)) if (e.kind === 'image') n++;
  return n;
}

/** Why a symlink cannot be followed: its target is missing (named), it loops, or another file-system error. */
async function describeLinkError(link: string, err: unknown): Promise<string> {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOENT' || code === 'ENOTDIR') {
    try {
      return `broken symbolic link → ${await fs.promises.readlink(link)}`;
    } catch {
      // The link itself is gone: it did vanish during the scan.
    }
  }
  return describeFsError(err, 'cannot follow symbolic link');
}

export function describeFsError(err: unknown, fallback: string): string {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  switch (code) {
    case 'ENOENT':
      return 'file vanished during the scan (deleted or moved)';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied: the file cannot be read';
    case 'ELOOP':
      return 'symlink loop: the link points back to itself';
    case 'EISDIR':
      return 'is a folder, not a file';
    case 'EIO':
      return 'I/O error reading the file (damaged disk or removed media?)';
    default:
      return `${fallback}: ${err instanceof Error ? err.message : String(err)}`;
  }
}
