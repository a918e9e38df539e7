// The perceptual hashes of specimens imported before Orelab computed them (or by a path that left them out).
// They are computed from the stored thumbnail, as import computes them, so the two agree bit for bit; a
// specimen without a usable thumbnail is hashed from its photo file through the same decode as import.
//
// Resumable: each batch is written in one transaction and a specimen counts as done once its hashes are
// stored, so a kill at any moment leaves a valid catalogue and a re-run continues with the rest.
import fs from 'node:fs';
import type { InputError } from '../../shared/domain';
import { countUnhashedSpecimens, putPhotoHashes, specimensToHash, type Db, type SpecimenToHash } from '../catalogue';
import { photoHashes, type PhotoHashes } from '../images/phash';
import { decodeImage } from '../images/decode';
import { fileTooLarge } from '../images/limits';
import { pipeline } from '../base/pipeline';

export interface HashBackfillProgress {
  done: number;
  total: number;
}

export interface HashBackfillOptions {
  signal?: AbortSignal;
  onProgress?: (p: HashBackfillProgress) => void;
  /** Specimens per transaction. */
  batchSize?: number;
  /** Photos being hashed at once (default 8). */
  concurrency?: number;
}

export interface HashBackfillResult {
  hashed: number;
  /** Specimens that could not be hashed (no thumbnail and an unreadable photo); a re-run tries them again. */
  failed: (InputError & { id: number })[];
  /** Specimens still without hashes (the failed ones, and the rest when cancelled). */
  remaining: number;
  seconds: number;
  photosPerSecond: number;
  cancelled: boolean;
}

// Thumbnails decoded at once: libvips works on sharp's thread pool, so a few in flight keep both cores busy.
const CONCURRENCY = 8;

/** Hashes every specimen that has no hashes yet (see the file's comment). */
export async function backfillPhotoHashes(db: Db, options: HashBackfillOptions = {}): Promise<HashBackfillResult> {
  const started = performance.now();
  const batchSize = Math.max(1, options.batchSize ?? 128);
  const total = countUnhashedSpecimens(db);
  const failed: HashBackfillResult['failed'] = [];
  let hashed = 0;
  let pending: { id: number; phash: string; dhash: string }[] = [];
  const flush = () => {
    putPhotoHashes(db, pending);
    hashed += pending.length;
    pending = [];
  };
  options.onProgress?.({ done: 0, total });
  // One pipeline over every batch read (not one per batch), so that the decoders never wait for a batch's slowest photo.
  async function* unhashed() {
    let afterId = 0;
    while (true) {
      const batch = specimensToHash(db, afterId, batchSize);
      if (batch.length === 0) return;
      afterId = batch.at(-1)!.id;
      yield* batch;
    }
  }
  for await (const r of pipeline(unhashed(), hashSpecimen, { concurrency: options.concurrency ?? CONCURRENCY, ...(options.signal ? { signal: options.signal } : {}) })) {
    if ('reason' in r) failed.push(r);
    else pending.push(r);
    if (pending.length >= batchSize) flush();
    options.onProgress?.({ done: hashed + pending.length + failed.length, total });
  }
  flush();
  const seconds = (performance.now() - started) / 1000;
  return {
    hashed,
    failed,
    remaining: countUnhashedSpecimens(db),
    seconds,
    photosPerSecond: seconds > 0 ? hashed / seconds : 0,
    cancelled: options.signal?.aborted ?? false,
  };
}

async function hashSpecimen(s: SpecimenToHash): Promise<(PhotoHashes & { id: number }) | (InputError & { id: number })> {
  if (s.thumbnail) {
    try {
      return { id: s.id, ...(await photoHashes(s.thumbnail)) };
    } catch {
      // A damaged thumbnail: the photo itself decides below.
    }
  }
  try {
    const size = (await fs.promises.stat(s.path)).size;
    const tooLarge = fileTooLarge(size);
    if (tooLarge !== null) return { id: s.id, path: s.path, reason: tooLarge };
    const { hashes } = await decodeImage(await fs.promises.readFile(s.path));
    if (hashes) return { id: s.id, ...hashes };
    return { id: s.id, path: s.path, reason: 'its photo could not be hashed' };
  } catch (err) {
    return { id: s.id, path: s.path, reason: `no usable thumbnail, and its photo cannot be read: ${(err as Error).message}` };
  }
}

/**
 * Before anything reads groups: hashes the specimens that lack them. Usually none: import and classification
 * hash the photos they add (decodeImage does); catalogues from before hashes existed are the ones left.
 */
export async function ensurePhotoHashes(db: Db, options: HashBackfillOptions = {}): Promise<HashBackfillResult | null> {
  if (countUnhashedSpecimens(db) === 0) return null;
  return backfillPhotoHashes(db, options);
}
