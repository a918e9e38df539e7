// The one way Orelab replaces a file: a temp file with a random name in the same folder, opened exclusively
// ('wx', so a planted file or symlink at that name is refused rather than followed), written, fsynced,
// renamed over the target, and the folder fsynced so that the rename itself survives a power loss.
// A kill at any moment leaves the old file or the new one, never half of one, and at worst a stray
// `.<name>.<random>.tmp` beside it.
//
// src/main/base is the bottom layer: Node and src/shared/errors.ts only, so the engine (a leaf) may use it too.
import fs from 'node:fs';
import path from 'node:path';
import crypto from 'node:crypto';
import { UserError } from '../../shared/errors';

/** The user named a symlink as a file to write: their choice clashes with what is there. */
export class SymlinkTargetError extends UserError {
  constructor(message: string) {
    super('conflict', message);
  }
}

export interface AtomicWriteOptions {
  /** File mode of a new file (default 0o644 before umask); an existing file keeps its own mode. */
  mode?: number;
  /** Refuse when the target is an existing symlink (exports a user names): the link is not replaced or followed. */
  refuseSymlink?: boolean;
  /**
   * fsync the file and its folder (default true). Only a cache entry that is checked when read and rebuilt
   * when missing may skip it.
   */
  durable?: boolean;
}

type Data = string | Uint8Array | readonly Uint8Array[];

function tempNameFor(file: string): string {
  return path.join(path.dirname(file), `.${path.basename(file)}.${crypto.randomBytes(6).toString('hex')}.tmp`);
}

function modeFor(file: string, options: AtomicWriteOptions): number {
  let st: fs.Stats | null = null;
  try {
    st = fs.lstatSync(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  if (st?.isSymbolicLink() && options.refuseSymlink) {
    throw new SymlinkTargetError(`${file} is a symbolic link; Orelab does not write through links. Choose another file name.`);
  }
  return st && st.isFile() ? st.mode & 0o7777 : (options.mode ?? 0o644);
}

function chunksOf(data: Data): readonly Uint8Array[] {
  if (typeof data === 'string') return [Buffer.from(data, 'utf8')];
  return data instanceof Uint8Array ? [data] : data;
}

/** fsync a folder so a rename in it is durable; not possible on Windows, where rename is already durable enough. */
function syncFolder(dir: string): void {
  if (process.platform === 'win32') return;
  const fd = fs.openSync(dir, 'r');
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/** Replaces `file` with `data` atomically and durably. */
export function writeFileAtomicSync(file: string, data: Data, options: AtomicWriteOptions = {}): void {
  const mode = modeFor(file, options);
  const temp = tempNameFor(file);
  const fd = fs.openSync(temp, 'wx', mode);
  try {
    for (const chunk of chunksOf(data)) {
      let offset = 0;
      while (offset < chunk.byteLength) offset += fs.writeSync(fd, chunk, offset, chunk.byteLength - offset);
    }
    if (options.durable !== false) fs.fsyncSync(fd);
    fs.fchmodSync(fd, mode);
  } catch (err) {
    fs.closeSync(fd);
    fs.rmSync(temp, { force: true });
    throw err;
  }
  fs.closeSync(fd);
  try {
    fs.renameSync(temp, file);
  } catch (err) {
    fs.rmSync(temp, { force: true });
    throw err;
  }
  if (options.durable !== false) syncFolder(path.dirname(file));
}

/** The same, without blocking the event loop (for hot paths such as the pixel cache). */
export async function writeFileAtomic(file: string, data: Data, options: AtomicWriteOptions = {}): Promise<void> {
  const mode = modeFor(file, options);
  const temp = tempNameFor(file);
  const handle = await fs.promises.open(temp, 'wx', mode);
  try {
    // writeFile on a handle writes the whole chunk from the current position (write() may stop short).
    for (const chunk of chunksOf(data)) await handle.writeFile(chunk);
    if (options.durable !== false) await handle.sync();
    await handle.chmod(mode);
  } catch (err) {
    await handle.close();
    await fs.promises.rm(temp, { force: true });
    throw err;
  }
  await handle.close();
  try {
    await fs.promises.rename(temp, file);
  } catch (err) {
    await fs.promises.rm(temp, { force: true });
    throw err;
  }
  if (options.durable !== false) syncFolder(path.dirname(file));
}

/** Whether a name is one of this helper's temp files (for sweeps of leftovers after a kill). */
export function isAtomicTempName(name: string): boolean {
  return /^\..+\.[0-9a-f]{12}\.tmp$/.test(name);
}
