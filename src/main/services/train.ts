// Use case: train a model on the catalogue. The CLI (`orelab train`), the app's `train` job and the harness
// all come here with the same TrainParams (shared/schemas/train.ts), already parsed by their shell.
//
//   params (TrainParamsSchema) → checkTrain: refuse what cannot work before a job exists
//                              → runTrain:   trainModel (jobs/train/train.ts, the engine in its worker),
//                                            progress in the contract's shape, the result with every id
import fs from 'node:fs';
import path from 'node:path';
import { UserError } from '../../shared/errors';
import type { JobProgress, JobResult, TrainParams } from '../../shared/ipc';
import { backboneChoice, TRAIN_DEFAULTS } from '../../shared/training-options';
import { epochMetrics } from '../catalogue';
import { WeightsFileError } from '../engine';
import { ensurePhotoHashes } from '../jobs/hash-backfill';
import { runFiles, trainModel, type TrainProgress, type TrainSettings } from '../jobs/train/train';
import { defaultWeightsPath } from '../jobs/train/weights';
import type { RunHooks, ServiceContext } from './context';

export type TrainResultInfo = JobResult<'train'>;
export type TrainProgressInfo = JobProgress<'train'>;

/** At most this many points of the running training loss travel with each progress event. */
const MAX_TRACE_POINTS = 400;

/** The weights file a run starts from: the params', else the bundled backbone's (null = random initialisation). */
export function weightsFor(params: TrainParams): string | null {
  if (params.weights === null) return null;
  if (params.weights !== undefined) return path.resolve(params.weights);
  if (!backboneChoice(params.backbone).bundledWeights) {
    throw new UserError('invalid-input', `the ${params.backbone} backbone needs its pretrained weights file (a .safetensors or Google .npz of that ViT), or random initialisation (weights none)`);
  }
  return defaultWeightsPath();
}

/** Refuses a run that cannot work, before anything is started or recorded. */
export function checkTrain(params: TrainParams): void {
  const out = path.resolve(params.outDir);
  if (fs.existsSync(out) && !fs.statSync(out).isDirectory()) throw new UserError('invalid-input', `${out} is a file; the output must be a folder`);
  const weights = weightsFor(params);
  if (weights !== null && !fs.existsSync(weights)) throw new UserError('not-found', `${weights}: no such weights file`);
  // A finished run's folder holds a model the catalogue refers to: a new run there would overwrite it.
  const f = runFiles(out);
  if (!params.restart && fs.existsSync(f.model) && !fs.existsSync(f.checkpoint)) {
    throw new UserError('conflict', `${out} holds a finished run's model.onnx; choose another output folder (or restart there to replace it)`);
  }
}

/** The training settings of params, as the trainer takes them (the run's folder, catalogue and hooks aside). */
export function trainingSettings(params: TrainParams): TrainSettings {
  // The image size, DropPath rate and keep rule are passed only when they differ from the defaults (which the
  // trainer applies itself): a default run's settings stay what they always were, and so does a cross-validation's
  // plan hash over them (jobs/cv/cv.ts), so an unfinished one resumes after this Orelab update.
  const vitOverrides = {
    ...(params.imageSize !== 224 ? { imageSize: params.imageSize } : {}),
    ...(params.dropPath !== TRAIN_DEFAULTS.dropPath ? { dropPathRate: params.dropPath } : {}),
  };
  return {
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
    ...(Object.keys(vitOverrides).length > 0 ? { vitOverrides } : {}),
    ...(params.keep !== TRAIN_DEFAULTS.keep ? { keep: params.keep } : {}),
  };
}

/** Trains (or resumes) a run; resolves with its result, `cancelled` when the signal stopped it. */
export async function runTrain(ctx: ServiceContext, params: TrainParams, hooks: RunHooks<TrainProgressInfo> = {}): Promise<TrainResultInfo> {
  checkTrain(params);
  const tracker = new TrainProgressTracker(ctx);
  // Newly labeled specimens are split first, keeping photo groups whole; groups join near-duplicates by their hashes.
  await ensurePhotoHashes(ctx.db, hooks.signal ? { signal: hooks.signal } : {});
  try {
    const result = await trainModel({
      ...trainingSettings(params),
      db: ctx.db,
      cataloguePath: ctx.cataloguePath,
      outDir: path.resolve(params.outDir),
      restart: params.restart,
      ...(hooks.signal ? { signal: hooks.signal } : {}),
      ...(hooks.onProgress ? { onProgress: (p: TrainProgress) => hooks.onProgress!(tracker.update(p)) } : {}),
    });
    return result satisfies TrainResultInfo;
  } catch (err) {
    // The engine is a leaf and knows nothing of user errors: a bad weights file is the user's input.
    if (err instanceof WeightsFileError) throw new UserError('invalid-input', err.message);
    throw err;
  }
}

/**
 * Turns the trainer's progress into the contract's: every finished epoch (from the catalogue, so a resumed
 * run shows its earlier epochs too) and a bounded trace of the running training loss, so a renderer that
 * joins late, or misses coalesced events, draws whole curves.
 */
export class TrainProgressTracker {
  private epochs: TrainProgressInfo['epochsDone'] = [];
  private trace: { x: number; loss: number }[] = [];
  private loadedRun: number | null = null;

  constructor(private readonly ctx: ServiceContext) {}

  update(p: TrainProgress): TrainProgressInfo {
    if (p.runId !== null && (this.loadedRun !== p.runId || p.finishedEpoch)) {
      // Once when the run appears (a resumed run's earlier epochs), then after each finished epoch. A new run
      // (the next fold of a cross-validation) starts its own loss trace.
      if (this.loadedRun !== null && this.loadedRun !== p.runId) this.trace = [];
      this.loadedRun = p.runId;
      this.epochs = epochMetrics(this.ctx.db, p.runId);
    }
    // The epoch's end is not a trace point.
    if (!p.finishedEpoch && p.phase === 'training' && p.trainLoss !== null && p.stepsPerEpoch > 0) {
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
      runId: p.runId,
      epochsDone: this.epochs,
      trace: [...this.trace],
    };
  }
}
