// How large a photo file Orelab reads whole: import and classification refuse larger files in the same words,
// so that a few huge files read at once cannot exhaust memory.
export const MAX_FILE_BYTES = 512 * 1024 * 1024;

/** Why a file of `size` bytes is refused, or null when it is within the limit. */
export function fileTooLarge(size: number): string | null {
  return size > MAX_FILE_BYTES ? `file too large (${(size / 2 ** 20).toFixed(0)} MiB; the limit is ${MAX_FILE_BYTES / 2 ** 20} MiB)` : null;
}
