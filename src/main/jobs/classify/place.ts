import fs from 'node:fs';
import path from 'node:path';
import crypto from 'node:crypto';

export type PlaceMode = 'copy' | 'move';

export interface Placement {
  destination: string;
  /** The file was already there from an earlier, interrupted run. */
  alreadyThere: boolean;
  /** A move was done as a copy because the folder does not own the photo (a symlink, or a file outside it). */
  copiedNotMoved: boolean;
}

export interface PlaceOptions {
  /** The sorting root: every folder and file written must lie inside it (after path.resolve). */
  sortRoot?: string;
  /** The scanned folder, by its real path: a move removes only photos whose real path lies inside it. */
  sourceRootReal?: string;
}

export class PlacementError extends Error {}

/**
 * A move whose copy is in place but whose original could not be deleted: the photo now exists twice, and
 * the message says so (rather than "not sorted", which was false).
 */
export class SourceNotRemovedError extends PlacementError {
  constructor(
    readonly destination: string,
    cause: unknown,
  ) {
    super(sourceNotRemovedMessage(destination, cause), { cause });
  }
}

/** "copied to DEST, but the original could not be removed (EACCES: permission denied); remove it by hand". */
export function sourceNotRemovedMessage(destination: string, cause: unknown): string {
  const e = cause as NodeJS.ErrnoException | undefined;
  const why = e?.code ? `${e.code}: ${describeCode(e.code) ?? e.message}` : cause instanceof Error ? cause.message : String(cause);
  return `copied to ${destination}, but the original could not be removed (${why}); remove it by hand`;
}

function describeCode(code: string): string | null {
  switch (code) {
    case 'EACCES':
    case 'EPERM':
      return 'permission denied in the source folder';
    case 'EROFS':
      return 'the source is on a read-only file system';
    case 'EBUSY':
      return 'the file is in use';
    default:
      return null;
  }
}

/** Whether `p` (resolved) lies strictly inside `root` (resolved): not the root itself, not beside or above it. */
export function insideRoot(root: string, p: string): boolean {
  const rel = path.relative(path.resolve(root), path.resolve(p));
  return rel !== '' && rel !== '..' && !rel.startsWith(`..${path.sep}`) && !path.isAbsolute(rel);
}

const TEMP_PREFIX = '.orelab-partial-';

async function sha256File(file: string): Promise<string> {
  const hash = crypto.createHash('sha256');
  for await (const chunk of fs.createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** "name.jpg", "name (1).jpg", "name (2).jpg", … */
function candidateName(base: string, n: number): string {
  if (n === 0) return base;
  const ext = path.extname(base);
  return `${base.slice(0, base.length - ext.length)} (${n})${ext}`;
}

const linkUnsupported = (err: unknown) => ['EXDEV', 'EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS'].includes((err as NodeJS.ErrnoException).code ?? '');
const exists = (err: unknown) => (err as NodeJS.ErrnoException).code === 'EEXIST';

/**
 * Whether a move may take the photo away from `source`: not when `source` is a symbolic link (moving the
 * link would leave the photo where it is, or a dangling link in the sorted folder), nor when its real path
 * lies outside the scanned folder (reached through a linked folder): Orelab never moves what the folder
 * does not own. Such photos are sorted by copy and the source is left as it is.
 */
async function ownedBySourceFolder(source: string, sourceRootReal: string | undefined): Promise<boolean> {
  if ((await fs.promises.lstat(source)).isSymbolicLink()) return false;
  return sourceRootReal === undefined || insideRoot(sourceRootReal, await fs.promises.realpath(source));
}

/**
 * Puts a copy of `source` (whose sha256 is known) into `destDir`, never overwriting: a name clash gets a
 * " (n)" suffix, and a file with the same bytes already at one of those names (an interrupted earlier run)
 * counts as placed. A move deletes the source only after the copy is complete, flushed and verified.
 * At every instant the photo exists at the source, the destination, or both, so a kill loses nothing.
 * With `sortRoot`, a folder or file name that would lie outside it is refused before anything is written.
 */
export async function placeFile(source: string, sourceSha256: string, destDir: string, mode: PlaceMode, options: PlaceOptions = {}): Promise<Placement> {
  const checkInside = (p: string) => {
    if (options.sortRoot !== undefined && !insideRoot(options.sortRoot, p)) {
      throw new PlacementError(`${path.resolve(p)} is not inside the sorting folder ${path.resolve(options.sortRoot)}; ${source} was left where it is`);
    }
  };
  checkInside(destDir);
  const base = path.basename(source);
  checkInside(path.join(destDir, base));
  const copiedNotMoved = mode === 'move' && !(await ownedBySourceFolder(source, options.sourceRootReal));
  const effectiveMode: PlaceMode = copiedNotMoved ? 'copy' : mode;
  await fs.promises.mkdir(destDir, { recursive: true });
  const size = (await fs.promises.stat(source)).size;

  let n = 0;
  const nextFree = async (): Promise<{ target: string; existing: boolean }> => {
    for (; ; n++) {
      const target = path.join(destDir, candidateName(base, n));
      checkInside(target);
      let st: fs.Stats;
      try {
        st = await fs.promises.stat(target);
      } catch {
        return { target, existing: false };
      }
      if (st.size === size && (await sha256File(target)) === sourceSha256) return { target, existing: true };
    }
  };

  const finish = async (destination: string, alreadyThere: boolean): Promise<Placement> => {
    if (effectiveMode === 'move' && path.resolve(destination) !== path.resolve(source)) {
      try {
        await fs.promises.rm(source, { force: true });
      } catch (err) {
        throw new SourceNotRemovedError(destination, err);
      }
    }
    return { destination, alreadyThere, copiedNotMoved };
  };

  // Same filesystem and a move: a hard link is an atomic, no-overwrite "copy" that shares the bytes.
  if (effectiveMode === 'move') {
    // The link shares the source's bytes, so check them: a photo edited since it was hashed must not be
    // filed under a prediction (and a hash) that describe other contents.
    if ((await sha256File(source)) !== sourceSha256) throw new PlacementError(`${source} changed since it was read; it was left where it is`);
    for (;;) {
      const slot = await nextFree();
      if (slot.existing) return finish(slot.target, true);
      try {
        await fs.promises.link(source, slot.target);
        return finish(slot.target, false);
      } catch (err) {
        if (exists(err)) continue;
        if (linkUnsupported(err)) break;
        throw err;
      }
    }
  }

  const temp = path.join(destDir, `${TEMP_PREFIX}${crypto.randomBytes(6).toString('hex')}`);
  try {
    await fs.promises.copyFile(source, temp, fs.constants.COPYFILE_EXCL);
    const handle = await fs.promises.open(temp, 'r+');
    await handle.sync();
    await handle.close();
    if ((await sha256File(temp)) !== sourceSha256) throw new PlacementError(`copy of ${source} does not match the original (disk full or failing?)`);
    for (;;) {
      const slot = await nextFree();
      if (slot.existing) return finish(slot.target, true);
      try {
        await fs.promises.link(temp, slot.target);
      } catch (err) {
        if (exists(err)) continue;
        if (!linkUnsupported(err)) throw err;
        // Filesystems without hard links (FAT, exFAT): check, then rename. Only Orelab writes here.
        await fs.promises.rename(temp, slot.target);
      }
      return finish(slot.target, false);
    }
  } finally {
    await fs.promises.rm(temp, { force: true });
  }
}

/** Removes partial copies a killed run left in a sorting folder tree. */
export async function removePartialCopies(root: string): Promise<number> {
  let removed = 0;
  let entries: fs.Dirent[];
  try {
    entries = await fs.promises.readdir(root, { withFileTypes: true });
  } catch {
    return 0;
  }
  for (const e of entries) {
    const p = path.join(root, e.name);
    if (e.isDirectory()) removed += await removePartialCopies(p);
    else if (e.name.startsWith(TEMP_PREFIX)) {
      await fs.promises.rm(p, { force: true });
      removed++;
    }
  }
  return removed;
}
