// How Orelab reads a photo file whole, in one place for import, classification, the training cache and the
// image route: regular files only, at most MAX_FILE_BYTES, so that a few huge files read at once cannot
// exhaust memory and a FIFO or device put where a photo was cannot hang a read.
import fs from 'node:fs';

export const MAX_FILE_BYTES = 512 * 1024 * 1024;

/** Why a file of `size` bytes is refused, or null when it is within the limit. */
export function fileTooLarge(size: number): string | null {
  return size > MAX_FILE_BYTES ? `file too large (${(size / 2 ** 20).toFixed(0)} MiB; the limit is ${MAX_FILE_BYTES / 2 ** 20} MiB)` : null;
}

/** A file that is not read, and why (in the words every reader reports). */
export interface PhotoFileRefusal {
  refused: string;
}

/**
 * Opens `file` without blocking and hands `use` the fstat of what was opened (not of whatever the name points to
 * a moment later) and a reader of its bytes. A file that is not regular, or is over the cap, is refused before
 * `use` runs. O_NONBLOCK: opening a FIFO for reading otherwise waits for a writer, forever. Errors of the open
 * itself (ENOENT, EACCES) are thrown, for the caller to word.
 */
export async function withPhotoFile<T>(file: string, use: (stat: fs.Stats, read: () => Promise<Buffer>) => Promise<T>): Promise<T | PhotoFileRefusal> {
  const handle = await fs.promises.open(file, fs.constants.O_RDONLY | (fs.constants.O_NONBLOCK ?? 0));
  try {
    const stat = await handle.stat();
    if (!stat.isFile()) return { refused: 'not a regular file' };
    const tooLarge = fileTooLarge(stat.size);
    if (tooLarge !== null) return { refused: tooLarge };
    return await use(stat, () => handle.readFile());
  } finally {
    await handle.close();
  }
}

/** A photo file's bytes, or why it is refused (see withPhotoFile). */
export function readPhotoFile(file: string): Promise<Buffer | PhotoFileRefusal> {
  return withPhotoFile(file, (_stat, read) => read());
}

export function isRefusal<T>(r: T | PhotoFileRefusal): r is PhotoFileRefusal {
  return typeof r === 'object' && r !== null && 'refused' in r && !Buffer.isBuffer(r);
}
