import fs from 'node:fs';
import path from 'node:path';
import crypto from 'node:crypto';

export type PlaceMode = 'copy' | 'move';

export interface Placement {
  destination: string;
  /** The file was already there from an earlier, interrupted run. */
  alreadyThere: boolean;
}

export class PlacementError extends Error {}

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
 * Puts a copy of `source` (whose sha256 is known) into `destDir`, never overwriting: a name clash gets a
 * " (n)" suffix, and a file with the same bytes already at one of those names (an interrupted earlier run)
 * counts as placed. A move deletes the source only after the copy is complete, flushed and verified.
 * At every instant the photo exists at the source, the destination, or both, so a kill loses nothing.
 */
export async function placeFile(source: string, sourceSha256: string, destDir: string, mode: PlaceMode): Promise<Placement> {
  await fs.promises.mkdir(destDir, { recursive: true });
  const base = path.basename(source);
  const size = (await fs.promises.stat(source)).size;

  let n = 0;
  const nextFree = async (): Promise<{ target: string; existing: boolean }> => {
    for (; ; n++) {
      const target = path.join(destDir, candidateName(base, n));
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
    if (mode === 'move' && path.resolve(destination) !== path.resolve(source)) await fs.promises.rm(source, { force: true });
    return { destination, alreadyThere };
  };

  // Same filesystem and a move: a hard link is an atomic, no-overwrite "copy" that shares the bytes.
  if (mode === 'move') {
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
