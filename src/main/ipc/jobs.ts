// The job kinds the app can run, over the real services. Add a kind here after adding its schemas to
// shared/ipc JOB_KINDS. Thread-blocking work runs in workers the services start themselves: training in the
// engine's worker (trainModel), inference in the classifier's worker (OnnxClassifier); what stays on this
// thread is asynchronous (reading, decoding with sharp off-thread, small SQLite transactions).
import fs from 'node:fs';
import path from 'node:path';
import type { JobProgress, TrainParams } from '../../shared/ipc';
import { epochMetrics, findUnfinishedRun, type Db } from '../catalogue';
import { importFolder } from '../jobs/import';
import { trainModel, type TrainProgress } from '../jobs/train/train';
import { defaultWeightsPath } from '../jobs/train/weights';
import { evaluateCatalogueSplit } from '../jobs/evaluate';
import { classifyFolder } from '../jobs/classify/classify';
import type { JobDefinitions } from '../jobs/manager';
import type { CatalogueSession } from './session';
import { IpcError } from './errors';
import { CHECKPOINT_FILE, requireModel } from './models';

/** At most this many points of the running training loss travel with each progress event. */
const MAX_TRACE_POINTS = 400;

function requireFolder(folder: string): void {
  let st: fs.Stats;
  try {
    st = fs.statSync(folder);
  } catch {
    throw new IpcError('not-found', `${path.resolve(folder)}: no such folder`);
  }
  if (!st.isDirectory()) throw new IpcError('invalid-request', `${path.resolve(folder)} is a file, not a folder`);
}

/** An output file's folder must exist (or be creatable below an existing one), and the path must not be a folder. */
function checkOutputFile(file: string, what: string): void {
  const resolved = path.resolve(file);
  if (fs.existsSync(resolved) && fs.statSync(resolved).isDirectory()) throw new IpcError('invalid-request', `${what} ${resolved} is a folder; give a file name`);
}

/** The weights file a run uses: the request's, else the bundled ViT-Ti backbone (null = random initialisation). */
export function weightsFor(params: TrainParams): string | null {
  if (params.weights === null) return null;
  if (params.weights !== undefined) return path.resolve(params.weights);
  if (params.backbone !== 'vit-ti') {
    throw new IpcError('invalid-request', `the ${params.backbone} backbone needs its pretrained weights file (.safetensors or .npz), or random initialisation`);
  }
  return defaultWeightsPath();
}

export function jobDefinitions(session: CatalogueSession): JobDefinitions {
  const cataloguePath = () => session.info()?.path ?? '';
  return {
    import: {
      exclusive: true,
      check(params) {
        session.requireDb();
        requireFolder(params.folder);
      },
      // The import is asynchronous (streamed scan, libvips decoding off-thread, small transactions): it runs here.
      run: (params, ctx) =>
        importFolder(session.requireDb(), {
          folder: params.folder,
          labelsFromFolders: params.labelsFromFolders,
          signal: ctx.signal,
          onProgress: (p) => ctx.progress(p),
        }),
    },

    train: {
      exclusive: true,
      check(params) {
        session.requireDb();
        const out = path.resolve(params.outDir);
        if (fs.existsSync(out) && !fs.statSync(out).isDirectory()) throw new IpcError('invalid-request', `${out} is a file; the output must be a folder`);
        const weights = weightsFor(params);
        if (weights !== null && !fs.existsSync(weights)) throw new IpcError('not-found', `${weights}: no such weights file`);
        // A finished run's folder holds a model the catalogue refers to: a new run there would overwrite it.
        if (!params.restart && fs.existsSync(path.join(out, 'model.onnx')) && !fs.existsSync(path.join(out, CHECKPOINT_FILE))) {
          throw new IpcError('conflict', `${out} holds a finished run's model.onnx; choose another output folder (or restart there to replace it)`);
        }
      },
      async run(params, ctx) {
        const db = session.requireDb();
        const outDir = path.resolve(params.outDir);
        // Which catalogue run this job is: a new row (id above today's newest), or the unfinished one it resumes.
        const newestBefore = (db.prepare('SELECT COALESCE(MAX(id), 0) AS id FROM training_runs').get() as { id: number }).id;
        const resuming = !params.restart && fs.existsSync(path.join(outDir, CHECKPOINT_FILE)) ? (findUnfinishedRun(db, outDir)?.id ?? 0) : 0;
        const tracker = new TrainTracker(db, outDir, newestBefore, resuming);
        const result = await trainModel({
          db,
          cataloguePath: cataloguePath(),
          outDir,
          variant: params.variant,
          backbone: params.backbone,
          weights: weightsFor(params),
          epochs: params.epochs,
          batchSize: params.batchSize,
          lr: params.lr,
          weightDecay: params.weightDecay,
          seed: params.seed,
          device: params.device,
          weighting: params.weighting,
          ...(params.beta !== undefined ? { beta: params.beta } : {}),
          cbamGate: params.cbamGate,
          warmupEpochs: params.warmupEpochs,
          ...(params.limitPerClass !== null ? { limitPerClass: params.limitPerClass } : {}),
          ...(params.imageSize !== 224 ? { vitOverrides: { imageSize: params.imageSize } } : {}),
          restart: params.restart,
          signal: ctx.signal,
          onProgress: (p) => ctx.progress(tracker.update(p)),
        });
        const model = result.modelPath ? (db.prepare('SELECT id FROM models WHERE run_id = ? ORDER BY created_at DESC, rowid DESC LIMIT 1').get(result.runId) as { id: string } | undefined) : undefined;
        return { ...result, modelId: model?.id ?? null };
      },
    },

    evaluate: {
      exclusive: true,
      check(params) {
        requireModel(session.requireDb(), params.modelId);
      },
      async run(params, ctx) {
        const db = session.requireDb();
        const model = requireModel(db, params.modelId);
        const classifier = await session.classifier(model);
        ctx.progress({ done: 0, total: 0 });
        const r = await evaluateCatalogueSplit(db, cataloguePath(), classifier, params.split, {
          signal: ctx.signal,
          onProgress: (done, total) => ctx.progress({ done, total }),
        });
        return { modelId: model.id, split: params.split, report: r.report, unknownLabels: r.unknownLabels, errors: r.errors, cancelled: ctx.signal.aborted };
      },
    },

    classify: {
      check(params) {
        const db = session.requireDb();
        requireFolder(params.folder);
        requireModel(db, params.modelId);
        if (params.csv) checkOutputFile(params.csv, 'the CSV report');
        if (params.sortInto && fs.existsSync(params.sortInto.dir) && !fs.statSync(params.sortInto.dir).isDirectory()) {
          throw new IpcError('invalid-request', `${path.resolve(params.sortInto.dir)} is a file, not a folder to sort into`);
        }
      },
      async run(params, ctx) {
        const db = session.requireDb();
        const classifier = await session.classifier(requireModel(db, params.modelId));
        const started = performance.now();
        const summary = await classifyFolder({
          folder: params.folder,
          classifier,
          ...(params.recordInCatalogue ? { db } : {}),
          ...(params.csv ? { csv: params.csv } : {}),
          ...(params.sortInto ? { sortInto: params.sortInto } : {}),
          reviewBelow: params.reviewBelow,
          batchSize: params.batchSize,
          signal: ctx.signal,
          onProgress: (p) => {
            const seconds = (performance.now() - started) / 1000;
            const rate = seconds > 0.5 && p.classified > 0 ? p.classified / seconds : null;
            ctx.progress({ ...p, imagesPerSecond: rate, etaSeconds: rate ? Math.max(0, p.total - p.done) / rate : null });
          },
        });
        return { ...summary, provider: classifier.provider };
      },
    },
  };
}

/**
 * Turns the trainer's progress into the contract's: finds the catalogue run once it exists, carries every
 * finished epoch (from the catalogue, so a resumed run shows its earlier epochs too) and a bounded trace
 * of the running training loss, so a renderer that joins late, or misses coalesced events, draws whole curves.
 */
class TrainTracker {
  private runId: number | null = null;
  private epochs: JobProgress<'train'>['epochsDone'] = [];
  private trace: { x: number; loss: number }[] = [];

  constructor(
    private readonly db: Db,
    private readonly outDir: string,
    private readonly newestBefore: number,
    private readonly resuming: number,
  ) {}

  update(p: TrainProgress): JobProgress<'train'> {
    if (this.runId === null) {
      const row = this.db.prepare('SELECT id FROM training_runs WHERE out_dir = ? AND (id > ? OR id = ?) ORDER BY id DESC LIMIT 1').get(this.outDir, this.newestBefore, this.resuming) as
        | { id: number }
        | undefined;
      if (row) {
        this.runId = row.id;
        this.epochs = epochMetrics(this.db, row.id);
      }
    }
    if (p.finishedEpoch && this.runId !== null) this.epochs = epochMetrics(this.db, this.runId);
    else if (p.phase === 'training' && p.trainLoss !== null && p.stepsPerEpoch > 0) {
      this.trace.push({ x: p.epoch + p.step / p.stepsPerEpoch, loss: p.trainLoss });
      // Halve the resolution rather than grow without bound: long runs keep their whole shape.
      if (this.trace.length > MAX_TRACE_POINTS) this.trace = this.trace.filter((_, i) => i % 2 === 1);
    }
    return {
      phase: p.phase,
      epoch: p.epoch,
      epochs: p.epochs,
      step: p.step,
      stepsPerEpoch: p.stepsPerEpoch,
      trainLoss: p.trainLoss,
      trainAccuracy: p.trainAccuracy,
      imagesPerSecond: p.imagesPerSecond,
      etaSeconds: p.etaSeconds,
      message: p.message ?? null,
      runId: this.runId,
      epochsDone: this.epochs,
      trace: [...this.trace],
    };
  }
}
