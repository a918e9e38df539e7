import crypto from 'node:crypto';
import path from 'node:path';
import type { ImportSummary, InputError } from '../../shared/domain';
import {
  type Db,
  className,
  ensureClass,
  validateClassName,
  createLabelOp,
  setLabelInOp,
  findSpecimenBySha,
  addPhotoSpecimen,
  knownFile,
  recordFile,
  listClasses,
  countSpecimens,
  specimenLabelClassId,
} from '../catalogue';
import { scanFolder, countImages, describeFsError } from '../images/scan';
import { isRefusal, withPhotoFile } from '../images/limits';
import { decodeImage, ImageDecodeError, type DecodedImage } from '../images/decode';
import { pipeline } from '../base/pipeline';

// Larger files are refused before they are read into memory, in the same words as classification.
export { MAX_FILE_BYTES } from '../images/limits';

export interface ImportProgress {
  done: number;
  /** Image files in the folder, known after a quick counting pass. */
  total: number;
  new: number;
  duplicates: number;
  errors: number;
  currentPath: string;
}

export interface ImportOptions {
  folder: string;
  labelsFromFolders: boolean;
  /** Files in progress at once (read, hashed and decoded, not yet written). Some headroom over the cores
   * keeps libvips busy while the JS thread hashes and writes, and while a slow file holds the order. */
  concurrency?: number;
  onProgress?: (p: ImportProgress) => void;
  signal?: AbortSignal;
  /** Compute the perceptual hashes of new specimens (default true). false only measures what they cost
   * (bench/import.ts); specimens imported without them are hashed by the backfill (jobs/hash-backfill.ts). */
  photoHashes?: boolean;
}

export interface ImportResult extends ImportSummary {
  cancelled: boolean;
}

/** A file, read and hashed, on its way to the catalogue. */
type Outcome =
  | { kind: 'new'; path: string; size: number; mtimeMs: number; sha256: string; decoded: DecodedImage; classFolder: string | null }
  | { kind: 'known'; path: string; size: number; mtimeMs: number; sha256: string | null; specimenId: number | null; classFolder: string | null }
  | { kind: 'error'; error: InputError };

/**
 * Imports every image under a folder into the catalogue. Files are streamed from the scan, decoded a few at a
 * time, and written in small transactions, so a kill at any point leaves a valid catalogue holding whole
 * specimens only, and a re-run picks up where this one stopped (the same bytes are never added twice).
 */
export async function importFolder(db: Db, options: ImportOptions): Promise<ImportResult> {
  const started = process.hrtime.bigint();
  const root = path.resolve(options.folder);
  const concurrency = Math.max(1, options.concurrency ?? 8);
  const errors: InputError[] = [];
  const warnings: InputError[] = [];
  let scanned = 0;
  let skippedNonImage = 0;
  let created = 0;
  let duplicates = 0;
  let labeled = 0;
  let done = 0;
  let cancelled = false;

  const total = await countImages(root);
  let labelOpId = 0;
  const classIds = new Map<string, number | null>();

  const classIdFor = (folder: string | null, filePath: string): number | null => {
    if (!options.labelsFromFolders || folder === null) return null;
    if (classIds.has(folder)) return classIds.get(folder)!;
    let id: number | null = null;
    try {
      validateClassName(folder);
      id = ensureClass(db, folder);
    } catch (err) {
      warnings.push({ path: filePath, reason: `folder "${folder}" is not usable as a class name (${(err as Error).message}); imported unlabeled` });
    }
    classIds.set(folder, id);
    return id;
  };

  const labelFromFolder = (specimenId: number, currentClassId: number | null, folder: string | null, filePath: string) => {
    const classId = classIdFor(folder, filePath);
    if (classId === null || currentClassId === classId) return;
    if (currentClassId !== null) {
      warnings.push({ path: filePath, reason: `already catalogued as "${className(db, currentClassId)}", folder says "${folder}"; label kept` });
      return;
    }
    if (labelOpId === 0) labelOpId = createLabelOp(db, 'folder', 'import', `labels from class folders of ${root}`, { folder: root });
    setLabelInOp(db, labelOpId, specimenId, null, classId);
    labeled++;
  };

  const write = db.transaction((batch: Outcome[]) => {
    for (const o of batch) {
      if (o.kind === 'error') {
        errors.push(o.error);
        continue;
      }
      if (o.kind === 'known' && o.specimenId !== null) {
        // Read now, not when the file was looked at: an earlier file of this import may have labeled it since.
        const labelClassId = specimenLabelClassId(db, o.specimenId);
        duplicates++;
        labelFromFolder(o.specimenId, labelClassId, o.classFolder, o.path);
        continue;
      }
      const sha = o.sha256!;
      // Checked again here, not only when hashing: two copies of one photo may be decoded at the same time.
      const existing = findSpecimenBySha(db, sha);
      if (existing) {
        duplicates++;
        recordFile(db, o.path, o.size, o.mtimeMs, existing.id);
        labelFromFolder(existing.id, existing.label_class_id, o.classFolder, o.path);
        continue;
      }
      if (o.kind !== 'new') continue;
      const id = addPhotoSpecimen(db, { ...o.decoded, path: o.path, sha256: o.sha256, size: o.size, mtimeMs: o.mtimeMs });
      labelFromFolder(id, null, o.classFolder, o.path);
      created++;
    }
  });

  let pending: Outcome[] = [];
  let lastFlush = Date.now();
  const flush = () => {
    if (pending.length === 0) return;
    const batch = pending;
    pending = [];
    write(batch);
    lastFlush = Date.now();
  };

  const settle = (o: Outcome, filePath: string) => {
    pending.push(o);
    done++;
    // Small transactions: little is redone after a kill, and readers (the app) see progress.
    if (pending.length >= 32 || Date.now() - lastFlush > 500) flush();
    options.onProgress?.({ done, total: Math.max(total, done), new: created, duplicates, errors: errors.length, currentPath: filePath });
  };

  // Files are decoded several at a time but written in scan order, so that the same folder always gives the
  // same specimen ids; at most `concurrency` files are started but not yet written, so memory stays bounded.
  async function* files() {
    for await (const entry of scanFolder(root)) {
      if (entry.kind === 'skipped') skippedNonImage++;
      else if (entry.kind === 'error') pending.push({ kind: 'error', error: entry.error });
      else {
        scanned++;
        yield entry;
      }
    }
  }
  const hashing = options.photoHashes ?? true;
  for await (const { outcome, filePath } of pipeline(files(), async (entry) => ({ outcome: await processFile(db, entry.path, entry.classFolder, hashing), filePath: entry.path }), {
    concurrency,
    ...(options.signal ? { signal: options.signal } : {}),
  })) {
    settle(outcome, filePath);
  }
  if (options.signal?.aborted) cancelled = true;
  flush();

  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const classes: Record<string, number> = {};
  for (const c of listClasses(db)) classes[c.name] = c.count;
  return {
    folder: root,
    scanned,
    new: created,
    duplicates,
    labeled,
    skippedNonImage,
    errors,
    warnings,
    classes,
    specimensTotal: countSpecimens(db),
    seconds,
    imagesPerSecond: seconds > 0 ? done / seconds : 0,
    cancelled,
  };
}

async function processFile(db: Db, filePath: string, classFolder: string | null, hashing: boolean): Promise<Outcome> {
  try {
    // One open for the stat and the read (images/limits.ts): what is read is what was checked.
    const outcome = await withPhotoFile(filePath, async (st, read): Promise<Outcome> => {
      const known = knownFile(db, filePath, st.size, st.mtimeMs);
      if (known) return { kind: 'known', path: filePath, size: st.size, mtimeMs: st.mtimeMs, sha256: null, specimenId: known.specimen_id, classFolder };
      const bytes = await read();
      const sha256 = crypto.createHash('sha256').update(bytes).digest('hex');
      if (findSpecimenBySha(db, sha256)) {
        return { kind: 'known', path: filePath, size: st.size, mtimeMs: st.mtimeMs, sha256, specimenId: null, classFolder };
      }
      const decoded = await decodeImage(bytes, { photoHashes: hashing });
      return { kind: 'new', path: filePath, size: st.size, mtimeMs: st.mtimeMs, sha256, decoded, classFolder };
    });
    return isRefusal(outcome) ? { kind: 'error', error: { path: filePath, reason: outcome.refused } } : outcome;
  } catch (err) {
    const reason = err instanceof ImageDecodeError ? err.message : describeFsError(err, 'cannot read file');
    return { kind: 'error', error: { path: filePath, reason } };
  }
}
