import fs from 'node:fs';
import path from 'node:path';
import crypto from 'node:crypto';
import type { InputError } from '../../../shared/domain';
import { classificationReport, type ClassificationReport } from '../../../shared/metrics';
import { calibrationOfPredictions } from '../../../shared/calibration';
import { predictedProbabilitiesBySha, registerModel, type Db } from '../../catalogue';
import { withTestTimeAugmentation, type BatchClassifier } from '../batch-classifier';
import { countImages, describeFsError, scanFolder } from '../../images/scan';
import { ImageDecodeError } from '../../images/decode';
import { preprocessImage, writeNormalizedChw, type PreprocessSpec } from '../../images/preprocess';
import { IDENTITY } from '../../images/dihedral';
import { isRefusal, readPhotoFile } from '../../images/limits';
import { writeFileAtomicSync } from '../../base/atomic-write';
import { UserError } from '../../../shared/errors';
import { csvLine, parseCsv, writeCsvFile } from './csv';
import { insideRoot, placeFile, removePartialCopies, SourceNotRemovedError, type PlaceMode } from './place';
import {
  confusionHeader,
  confusionRows,
  ERRORS_HEADER,
  errorRows,
  METRICS_HEADER,
  metricsRows,
  predictionHeader,
  predictionRow,
  reportFiles,
  topK,
  type PredictionRecord,
} from './report';
import { recordPredictions } from './catalogue-records';
import { pipeline } from '../../base/pipeline';

// The interface lives beside the jobs (inference implements it); re-exported for this job's callers.
export type { BatchClassifier } from '../batch-classifier';

export const REVIEW_FOLDER = '_review';

/**
 * A problem with what the user asked for (a --csv file Orelab did not write, a report path that is a link),
 * found before anything is touched: the CLI and the app show its message, without a stack trace.
 */
export class ClassifyInputError extends UserError {
  constructor(message: string) {
    super('conflict', message);
  }
}

export interface ClassifyOptions {
  folder: string;
  classifier: BatchClassifier;
  db?: Db;
  /** The predictions CSV; metrics, confusion and errors files are written next to it. */
  csv?: string;
  sortInto?: { dir: string; mode: PlaceMode };
  /** Photos whose confidence is below this go to DIR/_review (and are marked for review in the CSV). */
  reviewBelow?: number;
  batchSize?: number;
  /** Images decoded at once, ahead of the model. */
  decodeConcurrency?: number;
  /**
   * Test-time augmentation: each photo's probabilities are the mean over its 8 flips and quarter turns. The
   * CSV says so (a `tta` column), so that a run never resumes the other kind's CSV; the catalogue records the
   * kind of each prediction, and a run resumes only from its own kind (the other kind's are run again, and
   * replaced: the catalogue keeps one prediction per model and photo).
   */
  tta?: boolean;
  signal?: AbortSignal;
  onProgress?: (p: ClassifyProgress) => void;
}

export interface ClassifyProgress {
  done: number;
  total: number;
  classified: number;
  resumed: number;
  errors: number;
  review: number;
}

export interface ClassifySummary {
  folder: string;
  modelId: string;
  classes: string[];
  /** Image files seen. */
  scanned: number;
  /** Classified by this run. */
  classified: number;
  /** Already classified by an earlier run (found in the CSV or the catalogue), not run again. */
  resumed: number;
  review: number;
  errors: InputError[];
  /** Predicted count per class, over this run and the resumed ones. */
  predicted: Record<string, number>;
  /** When the photos sit in class folders: metrics over the labeled ones. */
  report: (ClassificationReport & { labeled: number }) | null;
  files: { predictions: string; metrics: string | null; confusion: string | null; errors: string } | null;
  sortedInto: string | null;
  /** Photos a --move copied instead, because the folder does not own them (symlinks, files outside it): their originals stay. */
  copiedNotMoved: string[];
  cancelled: boolean;
  seconds: number;
  imagesPerSecond: number;
  tta: boolean;
}

/** Probabilities already known for some bytes (by sha256), so the same bytes are not run again. */
interface Known {
  probabilities: number[];
  /** From an earlier run (the CSV or the catalogue), else from a photo with the same bytes in this run. */
  earlier: boolean;
}

/** What an earlier run's CSV holds: one key per (path, sha256) row of this model. */
type CsvRows = Set<string>;
const rowKey = (file: string, sha256: string) => `${sha256}\0${file}`;

interface Resumed extends Known {
  /** This path already has its row in the CSV (else the CSV still needs one: a duplicate, or from the catalogue). */
  inCsv: boolean;
}

interface Decoded {
  path: string;
  sha256: string;
  bytes: Buffer;
  label: string | null;
  pixels: Uint8Array | null;
  resumed: Resumed | null;
}

/**
 * Classifies every photo under a folder: scan (streamed) → read, hash and decode (a few at a time, ahead of
 * the model) → batched inference → records. Per batch, the CSV rows and catalogue predictions are written
 * before any file is moved, and moving is verified and never overwrites, so a kill at any moment loses no
 * photo, and a re-run finishes the sorting. Resuming keys CSV rows on the path (every path gets its row,
 * however many photos share its bytes), while inference is skipped for any bytes whose probabilities are
 * known (by sha256, from the CSV, the catalogue, or an earlier photo of this run).
 */
export async function classifyFolder(options: ClassifyOptions): Promise<ClassifySummary> {
  const started = performance.now();
  const tta = options.tta ?? false;
  const classifier = tta ? withTestTimeAugmentation(options.classifier) : options.classifier;
  const classes = [...classifier.classes];
  const classIndex = new Map(classes.map((c, i) => [c.toLowerCase(), i]));
  const root = path.resolve(options.folder);
  const batchSize = Math.max(1, Math.min(options.batchSize ?? classifier.maxBatch, classifier.maxBatch));
  const sortRoot = options.sortInto ? path.resolve(options.sortInto.dir) : null;
  const reviewBelow = options.reviewBelow ?? 0;
  const files = options.csv ? reportFiles(path.resolve(options.csv)) : null;

  // What earlier runs of this model finished: the CSV's complete rows, and the catalogue's predictions.
  const csvRows: CsvRows = new Set();
  const known = new Map<string, Known>();
  const outcomes: { label: string | null; predicted: number; confidence: number }[] = [];
  // First, so that a --csv file Orelab did not write is refused before anything else happens.
  if (files) openPredictionsCsv(files, classes, classifier.modelId, tta, csvRows, known);
  if (options.db) registerModel(options.db, classifier.catalogueRecord());
  if (options.db) {
    for (const [sha256, probabilities] of predictedProbabilitiesBySha(options.db, classifier.modelId, tta)) {
      if (!known.has(sha256)) known.set(sha256, { probabilities, earlier: true });
    }
  }
  if (sortRoot) await removePartialCopies(sortRoot);
  const csvOut: fs.WriteStream | null = files ? fs.createWriteStream(files.predictions, { flags: 'a' }) : null;

  const errors: InputError[] = [];
  const predicted: Record<string, number> = Object.fromEntries(classes.map((c) => [c, 0]));
  let scanned = 0;
  let classified = 0;
  let resumed = 0;
  let review = 0;
  let cancelled = false;
  const total = await countImages(root);
  // A move takes only photos whose real path lies inside the scanned folder (see placeFile).
  const sourceRootReal = await fs.promises.realpath(root);
  const progress = () =>
    options.onProgress?.({ done: classified + resumed + errors.length, total, classified, resumed, errors: errors.length, review });

  const s = classifier.preprocessing.size;
  const perImage = 3 * s * s;

  const labelOf = (classFolder: string | null) => (classFolder !== null && classIndex.has(classFolder.toLowerCase()) ? classes[classIndex.get(classFolder.toLowerCase())!]! : null);

  const destinationFor = (probabilities: readonly number[]) => {
    const best = topK(probabilities, 1)[0]!;
    const isReview = probabilities[best]! < reviewBelow;
    const folder = sortRoot ? path.join(sortRoot, isReview ? REVIEW_FOLDER : classes[best]!) : null;
    // A second wall behind the model loader's class-name rule: whatever a model calls its classes ("..",
    // "../../x", "."), a photo is never sorted anywhere but into a folder inside the sorting root.
    if (sortRoot && folder && !insideRoot(sortRoot, folder)) return { best, isReview, folder: null, outside: path.resolve(folder) };
    return { best, isReview, folder, outside: null };
  };

  const copiedNotMoved: string[] = [];
  const place = async (item: Decoded, folder: string | null, outside: string | null, predictedClass: string): Promise<string | null> => {
    if (!options.sortInto || !sortRoot) return null;
    if (outside) {
      errors.push({
        path: item.path,
        reason: `classified as "${predictedClass}", but not sorted: its folder ${outside} is not inside the sorting folder ${sortRoot}; the photo was left where it is`,
      });
      return null;
    }
    if (!folder) return null;
    try {
      const placed = await placeFile(item.path, item.sha256, folder, options.sortInto.mode, { sortRoot, sourceRootReal });
      if (placed.copiedNotMoved) copiedNotMoved.push(item.path);
      return placed.destination;
    } catch (err) {
      // The copy is in place and only the original is left over: saying "not sorted" would be false.
      if (err instanceof SourceNotRemovedError) {
        errors.push({ path: item.path, reason: `classified and ${err.message}` });
        return err.destination;
      }
      errors.push({ path: item.path, reason: `classified, but not sorted: ${(err as Error).message}` });
      return null;
    }
  };

  // Writes one batch: CSV rows and catalogue records first, then the files are sorted.
  const finishBatch = async (batch: readonly Decoded[], probabilities: readonly (readonly number[])[]) => {
    const time = new Date().toISOString();
    const records: (PredictionRecord & { item: Decoded; folder: string | null; outside: string | null; predictedClass: string })[] = [];
    batch.forEach((item, b) => {
      const probs = probabilities[b]!;
      const d = destinationFor(probs);
      predicted[classes[d.best]!]!++;
      if (d.isReview) review++;
      outcomes.push({ label: item.label, predicted: d.best, confidence: probs[d.best]! });
      records.push({
        item,
        folder: d.folder,
        outside: d.outside,
        predictedClass: classes[d.best]!,
        path: item.path,
        sha256: item.sha256,
        probabilities: probs,
        label: item.label,
        review: d.isReview,
        sortedTo: d.folder,
        modelId: classifier.modelId,
        time,
      });
    });
    const fresh = records.filter((r) => !r.item.resumed);
    // Later photos with the same bytes take these probabilities instead of running the model again.
    for (const r of fresh) if (!known.has(r.sha256)) known.set(r.sha256, { probabilities: [...r.probabilities], earlier: false });
    // Photos whose bytes were classified before are not run again, but every path without a row gets one:
    // a duplicate of another photo, or a photo only the catalogue knew.
    const newRows = records.filter((r) => !r.item.resumed?.inCsv);
    if (csvOut && newRows.length) await new Promise<void>((resolve, reject) => csvOut.write(newRows.map((r) => csvLine(predictionRow(classes, r, tta))).join(''), (e) => (e ? reject(e) : resolve())));
    if (options.db && fresh.length) errors.push(...(await recordPredictions(options.db, classifier.modelId, classes, tta, fresh.map((r) => ({ ...r, bytes: r.item.bytes })))));
    for (const r of records) await place(r.item, r.folder, r.outside, r.predictedClass);
    const earlier = records.filter((r) => r.item.resumed?.earlier).length;
    classified += records.length - earlier;
    resumed += earlier;
    progress();
  };

  // Up to `concurrency` batches are in inference at once (one per worker) while the next one fills; their
  // results are recorded strictly in batch order.
  const concurrency = Math.max(1, classifier.concurrency ?? 1);
  let batch: Decoded[] = [];
  const staging: Float32Array[] = [];
  const inflight: Promise<void>[] = [];
  let recorded: Promise<void> = Promise.resolve();
  const dispatch = async () => {
    const current = batch;
    batch = [];
    while (inflight.length >= concurrency) await inflight.shift();
    const compute = async (): Promise<Float32Array> => {
      const fresh = current.filter((d) => !d.resumed);
      if (!fresh.length) return new Float32Array(0);
      // Input buffers are reused once the classifier is done with them: a fresh multi-MB array per batch
      // costs page faults and garbage collection on the cores inference needs.
      const reuse = staging.findIndex((b) => b.length === fresh.length * perImage);
      const images = reuse >= 0 ? staging.splice(reuse, 1)[0]! : new Float32Array(fresh.length * perImage);
      fresh.forEach((d, i) => writeNormalizedChw(d.pixels!, s, IDENTITY, classifier.preprocessing, images, i * perImage));
      try {
        return await classifier.classify(images, fresh.length);
      } finally {
        if (staging.length <= concurrency) staging.push(images);
      }
    };
    const computed = compute();
    const done = Promise.all([computed, recorded]).then(([probs]) => {
      // Batch order is kept: resumed photos carry their earlier probabilities, fresh ones take theirs in turn.
      let next = 0;
      const probabilities = current.map((d) => d.resumed?.probabilities ?? Array.from(probs.subarray(next * classes.length, ++next * classes.length)));
      return finishBatch(current, probabilities);
    });
    // Awaited below or by the next dispatch; this only keeps a failure from counting as unhandled meanwhile.
    done.catch(() => undefined);
    computed.catch(() => undefined);
    recorded = done;
    inflight.push(done);
  };

  for await (const item of decodeAhead(root, sortRoot, csvRows, known, labelOf, classifier.preprocessing, batchSize + (options.decodeConcurrency ?? 3), options.decodeConcurrency ?? 3, options.signal)) {
    if ('error' in item) {
      errors.push(item.error);
      progress();
      continue;
    }
    scanned++;
    batch.push(item);
    if (batch.length >= batchSize) await dispatch();
    if (options.signal?.aborted) {
      cancelled = true;
      break;
    }
  }
  if (options.signal?.aborted) cancelled = true;
  if (batch.length) await dispatch();
  while (inflight.length) await inflight.shift();
  if (csvOut) await new Promise<void>((resolve) => csvOut.end(resolve));

  const labeled = outcomes.filter((o) => o.label !== null);
  const truth = labeled.map((o) => classIndex.get(o.label!.toLowerCase())!);
  const labeledPredicted = labeled.map((o) => o.predicted);
  const report =
    labeled.length > 0
      ? { ...classificationReport(classes, truth, labeledPredicted), ...calibrationOfPredictions(truth, labeledPredicted, labeled.map((o) => o.confidence)), labeled: labeled.length }
      : null;
  let written: ClassifySummary['files'] = null;
  if (files) {
    writeCsvFile(files.errors, ERRORS_HEADER, errorRows(errors));
    if (report) {
      writeCsvFile(files.metrics, METRICS_HEADER, metricsRows(report));
      writeCsvFile(files.confusion, confusionHeader(classes), confusionRows(report));
    }
    written = { predictions: files.predictions, metrics: report ? files.metrics : null, confusion: report ? files.confusion : null, errors: files.errors };
  }
  const seconds = (performance.now() - started) / 1000;
  return {
    folder: root,
    modelId: classifier.modelId,
    classes,
    scanned,
    classified,
    resumed,
    review,
    errors,
    predicted,
    report,
    files: written,
    sortedInto: sortRoot,
    copiedNotMoved: copiedNotMoved.sort(),
    cancelled,
    seconds,
    imagesPerSecond: seconds > 0 ? classified / seconds : 0,
    tta,
  };
}

/**
 * Streams the folder's photos read, hashed and decoded, in scan order: the shared ordered pipeline, up to
 * `window` photos ahead of the consumer (so the next batch is ready when an inference worker frees up) and
 * `concurrency` of them decoding at once. Bytes already classified are not decoded again.
 */
function decodeAhead(
  root: string,
  skipFolder: string | null,
  csvRows: CsvRows,
  known: ReadonlyMap<string, Known>,
  labelOf: (classFolder: string | null) => string | null,
  spec: PreprocessSpec,
  window: number,
  concurrency: number,
  signal: AbortSignal | undefined,
): AsyncGenerator<Decoded | { error: InputError }> {
  const decodeOne = async (file: string, classFolder: string | null): Promise<Decoded | { error: InputError }> => {
    try {
      // Capped like import, and never blocked by a FIFO swapped in since the scan (images/limits.ts).
      const bytes = await readPhotoFile(file);
      if (isRefusal(bytes)) return { error: { path: file, reason: bytes.refused } };
      const sha256 = crypto.createHash('sha256').update(bytes).digest('hex');
      const label = labelOf(classFolder);
      const previous = known.get(sha256);
      if (previous) return { path: file, sha256, bytes, label, pixels: null, resumed: { ...previous, inCsv: csvRows.has(rowKey(file, sha256)) } };
      if (bytes.length === 0) return { error: { path: file, reason: 'empty file (0 bytes)' } };
      return { path: file, sha256, bytes, label, pixels: await preprocessImage(bytes, spec), resumed: null };
    } catch (err) {
      return { error: { path: file, reason: err instanceof ImageDecodeError ? err.message : describeFsError(err, 'cannot read file') } };
    }
  };
  async function* photos(): AsyncGenerator<{ path: string; classFolder: string | null } | { error: InputError }> {
    for await (const entry of scanFolder(root)) {
      if (entry.kind === 'skipped') continue;
      if (entry.kind === 'error') yield { error: entry.error };
      else if (!(skipFolder && (entry.path === skipFolder || entry.path.startsWith(skipFolder + path.sep)))) yield { path: entry.path, classFolder: entry.classFolder };
    }
  }
  return pipeline(photos(), async (p) => ('error' in p ? p : decodeOne(p.path, p.classFolder)), {
    concurrency: window,
    running: concurrency,
    ...(signal ? { signal } : {}),
  });
}

/** The byte offset just past the last CRLF outside quotes: the end of the last complete row. */
function completeRowsEnd(bytes: Uint8Array): number {
  let quoted = false;
  let end = 0;
  for (let i = 0; i < bytes.length; i++) {
    const c = bytes[i];
    // A doubled quote inside a quoted field toggles twice, which leaves the state as it was.
    if (c === 0x22) quoted = !quoted;
    else if (!quoted && c === 0x0d && bytes[i + 1] === 0x0a) end = ++i + 1;
  }
  return end;
}

const lstatOrNull = (file: string): fs.Stats | null => {
  try {
    return fs.lstatSync(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
};

/**
 * Makes the predictions CSV ready for appending and reads the rows an earlier run of the same model wrote.
 * A missing file gets its header (atomically). An existing one is resumed only when it starts with exactly
 * the header Orelab writes for these classes (byte-order mark, header, CRLF): anything else (notes, a
 * report re-saved by a spreadsheet, another model's report) is refused and left byte for byte as it was.
 * A half-written last row (a kill mid-write) is dropped by rewriting the complete rows atomically, never
 * by truncating in place, so a kill during the repair leaves the old file or the repaired one.
 */
function openPredictionsCsv(files: ReturnType<typeof reportFiles>, classes: readonly string[], modelId: string, tta: boolean, csvRows: CsvRows, known: Map<string, Known>): void {
  const file = files.predictions;
  const otherName = 'choose another --csv file name';
  for (const f of [files.predictions, files.metrics, files.confusion, files.errors]) {
    if (lstatOrNull(f)?.isSymbolicLink()) throw new ClassifyInputError(`${f} is a symbolic link; Orelab does not write reports through links; ${otherName}`);
  }
  const headerOf = (withTta: boolean) => Buffer.from('\ufeff' + csvLine(predictionHeader(classes, withTta)), 'utf8');
  const header = headerOf(tta);
  const st = lstatOrNull(file);
  if (!st) {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    writeFileAtomicSync(file, header);
    return;
  }
  if (!st.isFile()) throw new ClassifyInputError(`${file} exists and is not a file; ${otherName}`);
  const bytes = fs.readFileSync(file);
  const startsWith = (h: Buffer) => bytes.length >= h.length && bytes.subarray(0, h.length).equals(h);
  if (!startsWith(header) && startsWith(headerOf(!tta))) {
    throw new ClassifyInputError(
      `${file} holds predictions made ${tta ? 'without' : 'with'} --tta, so this run ${tta ? 'with' : 'without'} it cannot resume it; it was left unchanged. Run ${tta ? 'without' : 'with'} --tta to resume it, or ${otherName}`,
    );
  }
  if (!startsWith(header)) {
    throw new ClassifyInputError(
      `${file} exists but is not a predictions report Orelab wrote for this model's classes (its first line differs), so it cannot be resumed; it was left unchanged. To keep it, ${otherName}`,
    );
  }
  const end = completeRowsEnd(bytes);
  if (end < bytes.length) writeFileAtomicSync(file, bytes.subarray(0, end));
  const rows = parseCsv(bytes.subarray(0, end).toString('utf8'));
  const names = rows[0]!;
  const col = (name: string) => names.indexOf(name);
  const [pathCol, shaCol, modelCol] = [col('path'), col('sha256'), col('model_id')];
  const probCols = classes.map((c) => col(`p_${c}`));
  for (const row of rows.slice(1)) {
    if (row.length !== names.length || row[modelCol] !== modelId) continue;
    const probabilities = probCols.map((i) => Number(row[i]));
    if (!probabilities.every(Number.isFinite)) continue;
    const sha256 = row[shaCol]!;
    csvRows.add(rowKey(row[pathCol]!, sha256));
    if (!known.has(sha256)) known.set(sha256, { probabilities, earlier: true });
  }
}
