import fs from 'node:fs';
import path from 'node:path';
import crypto from 'node:crypto';
import type { InputError } from '../../../shared/domain';
import { classificationReport, type ClassificationReport } from '../../../shared/metrics';
import { registerModel, type Db, type ModelRecord } from '../../catalogue';
import { countImages, describeFsError, scanFolder } from '../../images/scan';
import { ImageDecodeError } from '../../images/decode';
import { preprocessImage, type PreprocessSpec } from '../../images/preprocess';
import { IDENTITY, writeNormalizedChw } from '../train/augment';
import { csvLine, parseCsv, writeCsvFile } from './csv';
import { placeFile, removePartialCopies, type PlaceMode } from './place';
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

/** What the classify job needs from a model: its classes and input, and batched probabilities. */
export interface BatchClassifier {
  readonly modelId: string;
  readonly classes: readonly string[];
  readonly preprocessing: PreprocessSpec;
  /** Largest batch one call accepts. */
  readonly maxBatch: number;
  /** Calls that can run at once (e.g. one per inference worker); default 1. */
  readonly concurrency?: number;
  /** `images` holds `count` images [3, S, S]; returns count × C probabilities. */
  classify(images: Float32Array, count: number): Promise<Float32Array>;
  /** How the model is recorded in a catalogue that receives its predictions. */
  catalogueRecord(): Omit<ModelRecord, 'createdAt'>;
}

export const REVIEW_FOLDER = '_review';

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
  cancelled: boolean;
  seconds: number;
  imagesPerSecond: number;
}

interface Done {
  probabilities: number[];
  label: string | null;
  review: boolean;
  /** The row is already in the CSV (else it came from the catalogue, and the CSV still needs it). */
  inCsv: boolean;
}

interface Decoded {
  path: string;
  sha256: string;
  bytes: Buffer;
  label: string | null;
  pixels: Uint8Array | null;
  resumed: Done | null;
}

/**
 * Classifies every photo under a folder: scan (streamed) → read, hash and decode (a few at a time, ahead of
 * the model) → batched inference → records. Per batch, the CSV rows and catalogue predictions are written
 * before any file is moved, and moving is verified and never overwrites, so a kill at any moment loses no
 * photo, and a re-run skips the photos already classified (by sha256) and finishes their sorting.
 */
export async function classifyFolder(options: ClassifyOptions): Promise<ClassifySummary> {
  const started = performance.now();
  const { classifier } = options;
  const classes = [...classifier.classes];
  const classIndex = new Map(classes.map((c, i) => [c.toLowerCase(), i]));
  const root = path.resolve(options.folder);
  const batchSize = Math.max(1, Math.min(options.batchSize ?? classifier.maxBatch, classifier.maxBatch));
  const sortRoot = options.sortInto ? path.resolve(options.sortInto.dir) : null;
  const reviewBelow = options.reviewBelow ?? 0;
  const files = options.csv ? reportFiles(path.resolve(options.csv)) : null;

  // What earlier runs of this model finished: the CSV's complete rows, and the catalogue's predictions.
  const done = new Map<string, Done>();
  const outcomes: { label: string | null; predicted: number }[] = [];
  if (files) loadFinishedRows(files.predictions, classes, classifier.modelId, done);
  if (options.db) {
    registerModel(options.db, classifier.catalogueRecord());
    const rows = options.db
      .prepare('SELECT s.sha256, p.probabilities FROM predictions p JOIN specimens s ON s.id = p.specimen_id WHERE p.model_id = ?')
      .all(classifier.modelId) as { sha256: string; probabilities: string }[];
    for (const r of rows) if (!done.has(r.sha256)) done.set(r.sha256, { probabilities: JSON.parse(r.probabilities) as number[], label: null, review: false, inCsv: false });
  }
  if (sortRoot) await removePartialCopies(sortRoot);
  let csvOut: fs.WriteStream | null = null;
  if (files) {
    fs.mkdirSync(path.dirname(files.predictions), { recursive: true });
    if (!fs.existsSync(files.predictions)) fs.writeFileSync(files.predictions, '\ufeff' + csvLine(predictionHeader(classes)));
    csvOut = fs.createWriteStream(files.predictions, { flags: 'a' });
  }

  const errors: InputError[] = [];
  const predicted: Record<string, number> = Object.fromEntries(classes.map((c) => [c, 0]));
  let scanned = 0;
  let classified = 0;
  let resumed = 0;
  let review = 0;
  let cancelled = false;
  const total = await countImages(root);
  const progress = () =>
    options.onProgress?.({ done: classified + resumed + errors.length, total, classified, resumed, errors: errors.length, review });

  const s = classifier.preprocessing.size;
  const perImage = 3 * s * s;

  const labelOf = (classFolder: string | null) => (classFolder !== null && classIndex.has(classFolder.toLowerCase()) ? classes[classIndex.get(classFolder.toLowerCase())!]! : null);

  const destinationFor = (probabilities: readonly number[]) => {
    const best = topK(probabilities, 1)[0]!;
    const isReview = probabilities[best]! < reviewBelow;
    return { best, isReview, folder: sortRoot ? path.join(sortRoot, isReview ? REVIEW_FOLDER : classes[best]!) : null };
  };

  const place = async (item: Decoded, folder: string | null): Promise<string | null> => {
    if (!folder || !options.sortInto) return null;
    try {
      return (await placeFile(item.path, item.sha256, folder, options.sortInto.mode)).destination;
    } catch (err) {
      errors.push({ path: item.path, reason: `classified, but not sorted: ${(err as Error).message}` });
      return null;
    }
  };

  // Writes one batch: CSV rows and catalogue records first, then the files are sorted.
  const finishBatch = async (batch: readonly Decoded[], probabilities: readonly (readonly number[])[]) => {
    const time = new Date().toISOString();
    const records: (PredictionRecord & { item: Decoded; folder: string | null })[] = [];
    batch.forEach((item, b) => {
      const probs = probabilities[b]!;
      const d = destinationFor(probs);
      predicted[classes[d.best]!]!++;
      if (d.isReview) review++;
      outcomes.push({ label: item.label, predicted: d.best });
      records.push({
        item,
        folder: d.folder,
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
    // Photos the catalogue had already classified with this model are not run again, but a new CSV lists them too.
    const csvRows = records.filter((r) => !r.item.resumed?.inCsv);
    if (csvOut && csvRows.length) await new Promise<void>((resolve, reject) => csvOut!.write(csvRows.map((r) => csvLine(predictionRow(classes, r))).join(''), (e) => (e ? reject(e) : resolve())));
    if (options.db && fresh.length) errors.push(...(await recordPredictions(options.db, classifier.modelId, classes, fresh.map((r) => ({ ...r, bytes: r.item.bytes })))));
    for (const r of records) await place(r.item, r.folder);
    classified += fresh.length;
    resumed += records.length - fresh.length;
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

  for await (const item of decodeAhead(root, sortRoot, done, labelOf, classifier.preprocessing, batchSize + (options.decodeConcurrency ?? 3), options.decodeConcurrency ?? 3, options.signal)) {
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
  if (csvOut) await new Promise<void>((resolve) => csvOut!.end(resolve));

  const labeled = outcomes.filter((o) => o.label !== null);
  const report =
    labeled.length > 0
      ? { ...classificationReport(classes, labeled.map((o) => classIndex.get(o.label!.toLowerCase())!), labeled.map((o) => o.predicted)), labeled: labeled.length }
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
    cancelled,
    seconds,
    imagesPerSecond: seconds > 0 ? classified / seconds : 0,
  };
}

/**
 * Streams the folder's photos read, hashed and decoded, at most `window` ahead of the consumer and
 * `concurrency` decoding at once, in completion order. Photos already classified are not decoded again.
 */
async function* decodeAhead(
  root: string,
  skipFolder: string | null,
  done: ReadonlyMap<string, Done>,
  labelOf: (classFolder: string | null) => string | null,
  spec: PreprocessSpec,
  window: number,
  concurrency: number,
  signal: AbortSignal | undefined,
): AsyncGenerator<Decoded | { error: InputError }> {
  const ready: (Decoded | { error: InputError })[] = [];
  let running = 0;
  let wake: (() => void) | null = null;
  const notify = () => {
    wake?.();
    wake = null;
  };
  const decodeOne = async (file: string, classFolder: string | null): Promise<Decoded | { error: InputError }> => {
    try {
      const bytes = await fs.promises.readFile(file);
      const sha256 = crypto.createHash('sha256').update(bytes).digest('hex');
      const label = labelOf(classFolder);
      const previous = done.get(sha256);
      if (previous) return { path: file, sha256, bytes, label, pixels: null, resumed: { ...previous, label } };
      if (bytes.length === 0) return { error: { path: file, reason: 'empty file (0 bytes)' } };
      return { path: file, sha256, bytes, label, pixels: await preprocessImage(bytes, spec), resumed: null };
    } catch (err) {
      return { error: { path: file, reason: err instanceof ImageDecodeError ? err.message : describeFsError(err, 'cannot read file') } };
    }
  };
  const scan = scanFolder(root);
  let scanDone = false;
  let closed = false;
  // One pump at a time (it awaits the scan); a request while one runs makes it go round once more.
  let pumping = false;
  let pumpAgain = false;
  const pump = async () => {
    if (pumping) {
      pumpAgain = true;
      return;
    }
    pumping = true;
    try {
      do {
        pumpAgain = false;
        while (!closed && !scanDone && !signal?.aborted && running < concurrency && ready.length + running < window) {
          const next = await scan.next();
          if (next.done) {
            scanDone = true;
            notify();
            break;
          }
          const entry = next.value;
          if (entry.kind === 'skipped') continue;
          if (entry.kind === 'error') {
            ready.push({ error: entry.error });
            notify();
            continue;
          }
          if (skipFolder && (entry.path === skipFolder || entry.path.startsWith(skipFolder + path.sep))) continue;
          running++;
          void decodeOne(entry.path, entry.classFolder).then((r) => {
            running--;
            ready.push(r);
            notify();
            // Keep decoding while the consumer is busy (e.g. waiting for a free inference worker), so that the
            // next batch is ready when a worker frees up.
            void pump();
          });
        }
      } while (pumpAgain);
    } finally {
      pumping = false;
    }
  };
  try {
    for (;;) {
      await pump();
      if (ready.length) {
        yield ready.shift()!;
        continue;
      }
      if ((scanDone || signal?.aborted) && running === 0) return;
      await new Promise<void>((resolve) => (wake = resolve));
    }
  } finally {
    closed = true;
    await scan.return(undefined);
  }
}

/** Reads the complete rows an earlier run of the same model wrote, and cuts off a half-written last line. */
function loadFinishedRows(file: string, classes: readonly string[], modelId: string, done: Map<string, Done>): void {
  if (!fs.existsSync(file)) return;
  const text = fs.readFileSync(file, 'utf8');
  const complete = text.lastIndexOf('\r\n') + 2;
  if (complete < text.length) fs.truncateSync(file, Buffer.byteLength(text.slice(0, complete), 'utf8'));
  const rows = parseCsv(text.slice(0, complete));
  const header = rows[0] ?? [];
  const expected = predictionHeader(classes);
  if (header.join(',') !== expected.join(',')) {
    throw new Error(`${file} exists but is not a predictions file of this model's classes; choose another --csv path`);
  }
  const col = (name: string) => header.indexOf(name);
  const [sha, model, label, reviewCol] = [col('sha256'), col('model_id'), col('label'), col('review')];
  const probCols = classes.map((c) => col(`p_${c}`));
  for (const row of rows.slice(1)) {
    if (row[model] !== modelId) continue;
    done.set(row[sha]!, { probabilities: probCols.map((i) => Number(row[i])), label: row[label] || null, review: row[reviewCol] === 'yes', inCsv: true });
  }
}
