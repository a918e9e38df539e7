import fs from 'node:fs';
import path from 'node:path';
import crypto from 'node:crypto';
import type { InputError } from '../../../shared/domain';
import { UserError } from '../../../shared/errors';
import { classificationReport, softmax, argmax, type ClassificationReport } from '../../../shared/metrics';
import { classWeights, DEFAULT_EFFECTIVE_BETA } from '../../../shared/weights';
import { keepReason } from '../../../shared/training';
import { TRAIN_DEFAULTS, type KeepRule } from '../../../shared/training-options';
import {
  createRun,
  findUnfinishedRun,
  putEpochMetrics,
  registerModel,
  setRunBest,
  setRunStatus,
  type TrainingRunRecord,
  type Db,
  type EpochMetricsRecord,
} from '../../catalogue';
// The engine's public API (src/main/engine/index.ts), not its internals.
import {
  cosineLrs,
  defineModel,
  DEFAULT_CBAM,
  EngineCancelledError,
  fitPretrained,
  loadCheckpoint,
  readNpz,
  readSafetensors,
  saveCheckpoint,
  toTimmVit,
  TrainingEngine,
  vitConfig,
  type CbamGate,
  type CosineSchedule,
  type ExecutionProvider,
  type ModelConfig,
  type ModelDefinition,
  type ParamValues,
  type VitConfig,
  type VitPreset,
} from '../../engine';
import { AUGREG_PREPROCESS, PreprocessCache, cacheDirForCatalogue, type PreprocessSpec } from '../../images/preprocess';
import { mixSeed, mulberry32 } from './augment';
import { BatchSource, prefetched, warmCache, type Batch, type DataItem } from './data';
import { loadTrainingDataset } from './dataset';
import { exportClassifier, type Variant } from './export';
import { writeFileAtomicSync } from '../../base/atomic-write';
import { sha256FileSync } from '../../base/file-hash';

export const DEFAULT_WEIGHTS_FILE = 'vit_tiny_patch16_224_augreg_in1k.safetensors';

/**
 * The exported model's fixed batch size. The engine's graphs have static shapes; 8 runs about a quarter
 * faster per image than 1 on CPU, and a caller with fewer images pads the batch (OnnxClassifier does).
 */
export const EXPORT_BATCH = 8;

export interface TrainOptions {
  db: Db;
  /** The catalogue file: the preprocessing cache lives beside it. */
  cataloguePath: string;
  outDir: string;
  variant: Variant;
  backbone: VitPreset;
  /** Pretrained weights (.safetensors or Google .npz); null trains from a random initialisation. */
  weights: string | null;
  epochs: number;
  batchSize: number;
  lr: number;
  weightDecay: number;
  seed: number;
  device: 'auto' | 'cpu' | 'cuda';
  /** Class weighting of `vit-weighted` and `mavit`: the paper's inverse frequency, or effective number. */
  weighting: 'inverse' | 'effective';
  beta?: number;
  cbamGate?: CbamGate;
  warmupEpochs?: number;
  /** Which epoch's weights the run keeps and exports; best validation accuracy (ties: lower loss) otherwise. */
  keep?: KeepRule;
  /** Most mini-batches per train chunk (one ONNX Loop, one session.run). */
  maxStepsPerChunk?: number;
  /** Use at most this many training photos per class (and a quarter of that for val/test): quick runs. */
  limitPerClass?: number;
  /** Backbone changes (image size, depth...) for experiments and tests; the preset's values otherwise. */
  vitOverrides?: Partial<VitConfig>;
  /** The run's own split of the specimens it uses (a cross-validation fold); the catalogue's splits otherwise. */
  assignment?: ReadonlyMap<number, 'train' | 'val' | 'test'>;
  /** The name the model is registered under; "<variant> <backbone> run <id>" otherwise. */
  modelName?: string;
  /** Start again even if the output folder holds an unfinished run. */
  restart?: boolean;
  checkpointEverySeconds?: number;
  intraOpThreads?: number;
  signal?: AbortSignal;
  onProgress?: (p: TrainProgress) => void;
}

/** A run's training settings: what a cross-validation's folds share (the folder, data and hooks are each run's own). */
export type TrainSettings = Omit<TrainOptions, 'db' | 'cataloguePath' | 'outDir' | 'assignment' | 'modelName' | 'restart' | 'signal' | 'onProgress'>;

export interface TrainProgress {
  phase: 'preparing' | 'training' | 'validating' | 'exporting';
  epoch: number;
  epochs: number;
  step: number;
  stepsPerEpoch: number;
  trainLoss: number | null;
  trainAccuracy: number | null;
  imagesPerSecond: number | null;
  etaSeconds: number | null;
  /** The catalogue's run, once it exists (a resumed run's own id). */
  runId: number | null;
  /** The epoch that just finished, with its validation metrics. */
  finishedEpoch?: EpochMetricsRecord;
  message?: string;
}

export interface BestEpoch {
  epoch: number;
  valAccuracy: number;
  valLoss: number;
  reason: string;
}

export interface TrainResult {
  runId: number;
  status: 'completed' | 'cancelled';
  outDir: string;
  modelPath: string | null;
  /** The exported model's id in the catalogue (null when cancelled). */
  modelId: string | null;
  reportPath: string | null;
  provider: ExecutionProvider;
  providerNote: string | null;
  classes: string[];
  classWeights: number[];
  epochs: EpochMetricsRecord[];
  best: BestEpoch | null;
  validation: ClassificationReport | null;
  test: ClassificationReport | null;
  resumedFrom: { epoch: number; batch: number } | null;
  dataErrors: InputError[];
  trainSeconds: number;
  trainImagesPerSecond: number;
}

/** A run that cannot start or go on, written for the user (names the file or class, says what to do). */
export class TrainingError extends UserError {
  constructor(message: string) {
    super('invalid-input', message);
  }
}

/** Where training stands: the next batch to run, and what the current epoch has accumulated. */
interface Position {
  epoch: number;
  batch: number;
  lossSum: number;
  correct: number;
  seen: number;
  steps: number;
  epochSeconds: number;
}

interface CheckpointMeta {
  configHash: string;
  position: Position;
  best: BestEpoch | null;
  epochs: EpochMetricsRecord[];
  test: ClassificationReport | null;
  validation: ClassificationReport | null;
  /** Time and images of the work this checkpoint holds, summed over the processes that did it (absent in older checkpoints). */
  timing?: RunTiming;
}

/** Training time of a run across resumes. Work lost to a kill (after the last checkpoint) is not counted, as it is redone. */
interface RunTiming {
  trainSeconds: number;
  trainedImages: number;
  wallSeconds: number;
  sessions: number;
}

/** What a run keeps in its folder. A folder with model.onnx and no checkpoint holds a finished run. */
export const runFiles = (outDir: string) => ({
  checkpoint: path.join(outDir, 'checkpoint.orelabck'),
  best: path.join(outDir, 'best.orelabck'),
  model: path.join(outDir, 'model.onnx'),
  report: path.join(outDir, 'report.json'),
});

/** The paper's recipe as defaults: AdamW wd 0.01, lr 3e-5 cosine to 0, batch 32, 30 epochs. */
export { RECIPE } from '../../../shared/training-options';

/**
 * Fine-tunes a (MA-)ViT on the catalogue's train split and keeps the weights of the epoch its keep rule
 * picks (best validation accuracy unless told otherwise). State is checkpointed atomically at every epoch end and every few minutes, so a killed or
 * cancelled run resumes from where it stopped (same data order, same augmentation, same result).
 * Writes OUT/model.onnx (self-describing) and OUT/report.json.
 *
 * The steps, each a method of TrainingRun: plan (data, sizes, the configuration's hash; nothing written),
 * resume (the folder's checkpoint and kept weights, then the catalogue's run), and per epoch: train it,
 * validate and keep it if best; then finish (export, register, report) or stop (checkpoint, cancelled).
 */
export async function trainModel(o: TrainOptions): Promise<TrainResult> {
  const run = new TrainingRun(o, await planRun(o));
  run.resume();
  return run.execute();
}

/** What a run trains on and how it is sized, from the catalogue and the photos the cache can read. */
interface RunPlan {
  outDir: string;
  files: ReturnType<typeof runFiles>;
  dataset: ReturnType<typeof loadTrainingDataset>;
  classes: string[];
  modelConfig: ModelConfig;
  model: ModelDefinition;
  spec: PreprocessSpec;
  splits: Record<'train' | 'val' | 'test', DataItem[]>;
  train: BatchSource;
  val: BatchSource;
  test: BatchSource;
  dataErrors: InputError[];
  weights: number[];
  stepsPerEpoch: number;
  stepsPerChunk: number;
  schedule: CosineSchedule;
  config: Record<string, unknown> & { loss: string; weighting: 'none' | 'inverse' | 'effective' };
  configHash: string;
}

/** Progress before the run exists (no run id yet). */
function preparing(o: TrainOptions, message: string): void {
  o.onProgress?.({ phase: 'preparing', epoch: 0, epochs: o.epochs, runId: null, step: 0, stepsPerEpoch: 0, trainLoss: null, trainAccuracy: null, imagesPerSecond: null, etaSeconds: null, message });
}

async function planRun(o: TrainOptions): Promise<RunPlan> {
  const outDir = path.resolve(o.outDir);
  fs.mkdirSync(outDir, { recursive: true });
  preparing(o, 'reading the catalogue');
  const dataset = loadTrainingDataset(o.db, {
    ...(o.limitPerClass !== undefined ? { limitPerClass: o.limitPerClass } : {}),
    ...(o.assignment ? { assignment: o.assignment } : {}),
  });
  const classes = dataset.classes;
  const vit = vitConfig(o.backbone, classes.length, o.vitOverrides);
  const modelConfig: ModelConfig =
    o.variant === 'mavit' ? { variant: 'mavit', vit, cbam: { ...DEFAULT_CBAM, gate: o.cbamGate ?? DEFAULT_CBAM.gate } } : { variant: 'vit', vit };
  const model = defineModel(modelConfig);
  const spec: PreprocessSpec = { ...AUGREG_PREPROCESS, size: vit.imageSize };

  // Every photo is decoded into the cache first, and the ones that cannot be read are left out. Everything
  // sized by the training data (steps per epoch, the cosine's length, the class weights) then comes from the
  // photos actually trained on: sized from the catalogue's count, an epoch would plan more steps than its
  // batches fill (a short last chunk, which the fixed-shape train graph refuses, or steps skipped so that the
  // cosine never reaches 0), and the weights would describe photos the loss never sees.
  const cache = new PreprocessCache(cacheDirForCatalogue(o.cataloguePath), spec);
  const allItems = [...dataset.splits.train, ...dataset.splits.val, ...dataset.splits.test];
  preparing(o, `preparing ${allItems.length} photos`);
  const warmed = await warmCache(cache, allItems, { ...(o.signal ? { signal: o.signal } : {}) });
  // A cancel during the preparation leaves the readable set unknown: nothing is recorded or trained.
  if (o.signal?.aborted) throw new TrainingError('stopped while preparing the photos; nothing was trained yet');
  const usable = new Set(warmed.usable.map((i) => i.specimenId));
  const keep = (items: DataItem[]) => items.filter((i) => usable.has(i.specimenId));
  const splits = { train: keep(dataset.splits.train), val: keep(dataset.splits.val), test: keep(dataset.splits.test) };
  /** For an error message: how many photos of a split were left out, and why (the first few). */
  const unreadableNote = (split: 'train' | 'val') => {
    const dropped = new Set(dataset.splits[split].filter((i) => !usable.has(i.specimenId)).map((i) => i.path));
    const reasons = warmed.errors.filter((e) => dropped.has(e.path));
    if (dropped.size === 0) return '';
    return ` (${dropped.size} more cannot be read: ${reasons.slice(0, 3).map((e) => `${e.path}: ${e.reason}`).join('; ')}${reasons.length > 3 ? '; …' : ''})`;
  };
  const trainCounts = classes.map((_, i) => splits.train.filter((it) => it.classIndex === i).length);
  const empty = classes.filter((_, i) => trainCounts[i] === 0);
  if (empty.length > 0) {
    throw new TrainingError(`no readable training photo of ${empty.map((c) => `"${c}"`).join(', ')}${unreadableNote('train')}; replace the unreadable files or relabel`);
  }
  const weights = o.variant === 'vit' ? classWeights(trainCounts, 'none') : classWeights(trainCounts, o.weighting, o.beta ?? DEFAULT_EFFECTIVE_BETA);
  const train = new BatchSource(cache, splits.train, spec);
  const val = new BatchSource(cache, splits.val, spec);
  const test = new BatchSource(cache, splits.test, spec);
  // One definition of an epoch's length: the batches trainPlan gives (the last partial batch is dropped).
  const stepsPerEpoch = train.trainBatchCount(o.batchSize);
  if (stepsPerEpoch < 1) throw new TrainingError(`the train split has ${train.size} readable photos, fewer than one batch of ${o.batchSize}${unreadableNote('train')}; lower --batch`);
  if (val.size === 0) throw new TrainingError(`the validation split has no readable photos${unreadableNote('val')}: label more photos, or run orelab split with a validation share`);
  const stepsPerChunk = largestDivisorAtMost(stepsPerEpoch, o.maxStepsPerChunk ?? 4);
  const schedule: CosineSchedule = { baseLr: o.lr, totalSteps: o.epochs * stepsPerEpoch, warmupSteps: (o.warmupEpochs ?? 0) * stepsPerEpoch };
  const config = {
    variant: o.variant,
    backbone: o.backbone,
    weights: o.weights ? path.resolve(o.weights) : null,
    epochs: o.epochs,
    batchSize: o.batchSize,
    lr: o.lr,
    weightDecay: o.weightDecay,
    seed: o.seed,
    weighting: (o.variant === 'vit' ? 'none' : o.weighting) as 'none' | 'inverse' | 'effective',
    beta: o.variant !== 'vit' && o.weighting === 'effective' ? (o.beta ?? DEFAULT_EFFECTIVE_BETA) : null,
    cbamGate: o.variant === 'mavit' ? (o.cbamGate ?? DEFAULT_CBAM.gate) : null,
    warmupEpochs: o.warmupEpochs ?? 0,
    limitPerClass: o.limitPerClass ?? null,
    // The DropPath rate is vit.dropPathRate: a run at the default has the configuration (and hash) it always had.
    vit,
    // Only a rule other than the one Orelab always used is written, for the same reason: the rule enters the hash
    // (a checkpoint never resumes under another rule), and a default run's hash does not change.
    ...(keepRule(o) !== TRAIN_DEFAULTS.keep ? { keep: keepRule(o) } : {}),
    loss: 'weighted cross-entropy, -(1/N) sum_j w[y_j] log p[y_j]',
  };
  // The photos left out change the epochs and weights, so a checkpoint resumes only over the same ones. They
  // enter the hash only when there are any: a run with every photo readable keeps the hash it always had.
  const unreadable = allItems.filter((i) => !usable.has(i.specimenId)).map((i) => i.sha256).sort();
  // The weights enter the hash by their bytes, not their path: a checkpoint resumes after the app moves or
  // updates (its bundled weights then lie elsewhere), and a weights file replaced in place does not resume.
  if (o.weights && !fs.existsSync(o.weights)) throw new TrainingError(`${o.weights}: no such weights file`);
  const hashedConfig = { ...config, weights: o.weights ? sha256FileSync(o.weights) : null };
  const configHash = crypto
    .createHash('sha256')
    .update(JSON.stringify({ config: hashedConfig, dataset: dataset.hash, ...(unreadable.length > 0 ? { unreadable } : {}) }))
    .digest('hex');
  return {
    outDir, files: runFiles(outDir), dataset, classes, modelConfig, model, spec, splits, train, val, test,
    dataErrors: warmed.errors, weights, stepsPerEpoch, stepsPerChunk, schedule, config, configHash,
  };
}

/** One training run in progress: its state across epochs, and the steps that change it. */
class TrainingRun {
  private resumed: CheckpointMeta | null = null;
  private resumedStep = 0;
  /** Where the checkpoint this session started from stood (the position itself moves on). */
  private resumedFrom: { epoch: number; batch: number } | null = null;
  private bestParams: ParamValues | null = null;
  private previousRun: TrainingRunRecord | undefined;
  private runId = 0;
  private engine: TrainingEngine | null = null;
  private providerNote: string | null = null;
  private position: Position = { epoch: 0, batch: 0, lossSum: 0, correct: 0, seen: 0, steps: 0, epochSeconds: 0 };
  private best: BestEpoch | null = null;
  private epochs: EpochMetricsRecord[] = [];
  private testReport: ClassificationReport | null = null;
  private valReport: ClassificationReport | null = null;
  private readonly sessionStart = performance.now();
  private earlier: RunTiming = { trainSeconds: 0, trainedImages: 0, wallSeconds: 0, sessions: 0 };
  private trainSeconds = 0;
  private trainedImages = 0;
  private evalSeconds = 0;
  private evaluatedImages = 0;
  private lastCheckpoint = performance.now();
  /** Optimizer steps taken over the whole run, as the engine counts them (the checkpoint carries the count). */
  private stepsTaken = 0;

  constructor(
    private readonly o: TrainOptions,
    private readonly p: RunPlan,
  ) {}

  /** Picks up the folder's checkpoint if it belongs to this configuration and data, then records the run. */
  resume(): void {
    const { o, p } = this;
    const f = p.files;
    if (!o.restart && fs.existsSync(f.checkpoint)) {
      const saved = readCheckpointFile(f.checkpoint, p.outDir);
      const meta = saved.meta as unknown as CheckpointMeta;
      if (meta.configHash !== p.configHash) {
        throw new TrainingError(
          `${p.outDir} holds an unfinished run with other settings or data (or other unreadable photos); use --restart to start over there, or another --out folder`,
        );
      }
      this.resumed = meta;
      this.resumedStep = saved.state.step;
      // The kept weights are what the run exports: without them a resumed run has nothing right to export (it
      // used to export a graph whose parameters were inputs). Checked before anything is recorded or trained.
      if (meta.best) this.bestParams = readKeptWeights(f.best, meta.best.epoch, p.configHash, p.model, p.outDir);
      this.position = meta.position;
      this.resumedFrom = { epoch: meta.position.epoch, batch: meta.position.batch };
      this.best = meta.best;
      this.epochs = meta.epochs;
      this.testReport = meta.test;
      this.valReport = meta.validation;
      this.earlier = meta.timing ?? this.earlier;
    }
    this.stepsTaken = this.resumedStep;
    this.previousRun = this.resumed ? findUnfinishedRun(o.db, p.outDir) : undefined;
    this.runId =
      this.previousRun?.id ??
      createRun(o.db, { variant: o.variant, backbone: o.backbone, config: { ...p.config, configHash: p.configHash }, outDir: p.outDir, datasetHash: p.dataset.hash, classes: p.classes, classWeights: p.weights });
    setRunStatus(o.db, this.runId, 'running');
  }

  /** Trains the remaining epochs, then exports; or checkpoints and stops when cancelled. */
  async execute(): Promise<TrainResult> {
    const { o, p } = this;
    try {
      const init = this.resumed
        ? ({ kind: 'checkpoint', path: p.files.checkpoint } as const)
        : o.weights
          ? ({ kind: 'params', params: Object.fromEntries(pretrainedValues(o.weights, p.model)), seed: o.seed } as const)
          : ({ kind: 'seed', seed: o.seed } as const);
      this.engine = await TrainingEngine.start({
        model: p.modelConfig,
        batchSize: o.batchSize,
        stepsPerChunk: p.stepsPerChunk,
        classWeights: p.weights,
        adamw: { weightDecay: o.weightDecay },
        init,
        providers: o.device === 'auto' ? ['cuda', 'cpu'] : [o.device],
        evalBatchSize: Math.min(o.batchSize, 32),
        ...(o.intraOpThreads ? { intraOpThreads: o.intraOpThreads } : {}),
      });
      this.providerNote = this.engine.ready.skipped.map((s) => `${s.provider} skipped: ${s.reason}`).join('; ') || null;
      while (this.position.epoch < o.epochs) {
        const epochStart = performance.now() - this.position.epochSeconds * 1000;
        if (!(await this.trainEpoch(epochStart))) return await this.stop();
        await this.validateAndKeep(epochStart);
      }
      return await this.finish();
    } catch (err) {
      if (!(err instanceof EngineCancelledError)) setRunStatus(o.db, this.runId, 'failed', (err as Error).message);
      throw err;
    } finally {
      await this.engine?.close().catch(() => undefined);
    }
  }

  private get liveEngine(): TrainingEngine {
    if (!this.engine) throw new Error('the training engine is not running');
    return this.engine;
  }

  private progress(q: Omit<TrainProgress, 'epochs' | 'runId'>): void {
    this.o.onProgress?.({ ...q, epochs: this.o.epochs, runId: this.runId });
  }

  private runTiming(): RunTiming {
    return {
      trainSeconds: this.earlier.trainSeconds + this.trainSeconds,
      trainedImages: this.earlier.trainedImages + this.trainedImages,
      wallSeconds: this.earlier.wallSeconds + (performance.now() - this.sessionStart) / 1000,
      sessions: this.earlier.sessions + 1,
    };
  }

  private async saveState(): Promise<void> {
    const meta: CheckpointMeta = { configHash: this.p.configHash, position: this.position, best: this.best, epochs: this.epochs, test: this.testReport, validation: this.valReport, timing: this.runTiming() };
    this.stepsTaken = await this.liveEngine.checkpoint(this.p.files.checkpoint, meta as unknown as Record<string, unknown>);
    this.lastCheckpoint = performance.now();
  }

  private eta(): number | null {
    const { o, p } = this;
    const trainRate = this.trainSeconds > 0 ? this.trainedImages / this.trainSeconds : null;
    const evalRate = this.evalSeconds > 0 ? this.evaluatedImages / this.evalSeconds : trainRate ? trainRate * 3 : null;
    if (!trainRate || !evalRate) return null;
    const remainingSteps = (o.epochs - this.position.epoch) * p.stepsPerEpoch - this.position.batch;
    const remainingEvals = (o.epochs - this.position.epoch) * p.val.size;
    return (remainingSteps * o.batchSize) / trainRate + remainingEvals / evalRate;
  }

  /** Runs the rest of the current epoch's batches, a chunk per engine call; false when cancelled. */
  private async trainEpoch(epochStart: number): Promise<boolean> {
    const { o, p } = this;
    const epoch = this.position.epoch;
    const plan = p.train.trainPlan(epoch, o.batchSize, o.seed);
    const chunks: number[][][] = [];
    for (let b = this.position.batch; b < plan.length; b += p.stepsPerChunk) chunks.push(plan.slice(b, b + p.stepsPerChunk));
    const loadChunk = async (batches: number[][]) => Promise.all(batches.map((indices) => p.train.load(indices, { epoch, seed: o.seed })));
    for await (const loaded of prefetched(chunks, loadChunk)) {
      if (o.signal?.aborted) return false;
      const t0 = performance.now();
      const globalStep = epoch * p.stepsPerEpoch + this.position.batch;
      const result = await this.liveEngine.trainChunk(chunkData(loaded, p.model, globalStep, o.seed, cosineLrs(p.schedule, globalStep, p.stepsPerChunk)));
      this.trainSeconds += (performance.now() - t0) / 1000;
      this.trainedImages += p.stepsPerChunk * o.batchSize;
      const position = this.position;
      for (let k = 0; k < p.stepsPerChunk; k++) {
        position.lossSum += result.losses[k]!;
        position.correct += result.correct[k]!;
      }
      position.steps += p.stepsPerChunk;
      position.seen += p.stepsPerChunk * o.batchSize;
      position.batch += p.stepsPerChunk;
      position.epochSeconds = (performance.now() - epochStart) / 1000;
      this.progress({
        phase: 'training',
        epoch,
        step: position.batch,
        stepsPerEpoch: p.stepsPerEpoch,
        trainLoss: position.lossSum / position.steps,
        trainAccuracy: position.correct / position.seen,
        imagesPerSecond: this.trainedImages / this.trainSeconds,
        etaSeconds: this.eta(),
      });
      if (performance.now() - this.lastCheckpoint > (o.checkpointEverySeconds ?? 300) * 1000 && position.batch < plan.length) await this.saveState();
    }
    return true;
  }

  /** Validation on this epoch's weights; kept (with its test report) when the run's rule says so (shared/training.ts keepReason). */
  private async validateAndKeep(epochStart: number): Promise<void> {
    const { o, p } = this;
    const engine = this.liveEngine;
    const position = this.position;
    const epoch = position.epoch;
    this.progress({ phase: 'validating', epoch, step: position.batch, stepsPerEpoch: p.stepsPerEpoch, trainLoss: position.lossSum / position.steps, trainAccuracy: position.correct / position.seen, imagesPerSecond: this.trainedImages / Math.max(this.trainSeconds, 1e-9), etaSeconds: this.eta() });
    const e0 = performance.now();
    const v = await evaluateSplit(engine, p.val, p.classes);
    this.evalSeconds += (performance.now() - e0) / 1000;
    this.evaluatedImages += p.val.size;
    const reason = keepReason(keepRule(o), this.best, { valAccuracy: v.report.accuracy, valLoss: v.loss });
    const isBest = reason !== null;
    const record: EpochMetricsRecord = {
      epoch,
      trainLoss: position.lossSum / position.steps,
      trainAccuracy: position.correct / position.seen,
      valLoss: v.loss,
      valAccuracy: v.report.accuracy,
      valMacroF1: v.report.macro_f1,
      learningRate: cosineLrs(p.schedule, epoch * p.stepsPerEpoch + p.stepsPerEpoch - 1, 1)[0]!,
      seconds: (performance.now() - epochStart) / 1000,
      imagesPerSecond: position.seen / position.epochSeconds,
      kept: isBest,
    };
    if (reason !== null) {
      this.best = { epoch, valAccuracy: v.report.accuracy, valLoss: v.loss, reason };
      this.valReport = v.report;
      this.testReport = p.test.size > 0 ? (await evaluateSplit(engine, p.test, p.classes)).report : null;
      const state = await engine.getState();
      this.bestParams = new Map(Object.entries(state.params));
      saveCheckpoint(p.files.best, { step: state.step, params: this.bestParams, m: new Map(), v: new Map() }, { configHash: p.configHash, epoch, best: this.best });
      setRunBest(o.db, this.runId, epoch, v.report.accuracy);
    }
    this.epochs.push(record);
    putEpochMetrics(o.db, this.runId, record);
    this.position = { epoch: epoch + 1, batch: 0, lossSum: 0, correct: 0, seen: 0, steps: 0, epochSeconds: 0 };
    await this.saveState();
    this.progress({ phase: 'training', epoch, step: p.stepsPerEpoch, stepsPerEpoch: p.stepsPerEpoch, trainLoss: record.trainLoss, trainAccuracy: record.trainAccuracy, imagesPerSecond: this.trainedImages / Math.max(this.trainSeconds, 1e-9), etaSeconds: this.eta(), finishedEpoch: record });
  }

  private result(status: TrainResult['status'], files: { modelPath: string; modelId: string; reportPath: string } | null): TrainResult {
    const { p } = this;
    const timing = this.runTiming();
    return {
      runId: this.runId, status, outDir: p.outDir, modelPath: files?.modelPath ?? null, modelId: files?.modelId ?? null, reportPath: files?.reportPath ?? null,
      provider: this.liveEngine.ready.provider, providerNote: this.providerNote, classes: p.classes, classWeights: p.weights,
      epochs: this.epochs, best: this.best, validation: this.valReport, test: this.testReport,
      resumedFrom: this.resumedFrom,
      dataErrors: p.dataErrors, trainSeconds: timing.trainSeconds, trainImagesPerSecond: timing.trainSeconds > 0 ? timing.trainedImages / timing.trainSeconds : 0,
    };
  }

  /** Cancelled: the state is checkpointed so that the same command resumes it. */
  private async stop(): Promise<TrainResult> {
    this.liveEngine.cancel();
    await this.saveState();
    setRunStatus(this.o.db, this.runId, 'cancelled');
    return this.result('cancelled', null);
  }

  /** Exports the kept weights, registers the model, writes the report and drops the resumable state. */
  private async finish(): Promise<TrainResult> {
    const { o, p } = this;
    const f = p.files;
    const engine = this.liveEngine;
    const timing = this.runTiming();
    const trainImagesPerSecond = timing.trainSeconds > 0 ? timing.trainedImages / timing.trainSeconds : 0;
    if (!this.bestParams) throw new TrainingError(`no kept weights to export in ${p.outDir}; run again with --restart`);
    this.progress({ phase: 'exporting', epoch: o.epochs - 1, step: p.stepsPerEpoch, stepsPerEpoch: p.stepsPerEpoch, trainLoss: null, trainAccuracy: null, imagesPerSecond: trainImagesPerSecond, etaSeconds: 0 });
    const finishedAt = new Date().toISOString();
    const metadata = exportClassifier(f.model, {
      model: p.model,
      params: this.bestParams,
      variant: o.variant,
      backbone: o.backbone,
      classes: p.classes,
      preprocessing: p.spec,
      weightsSource: o.weights ? `${path.basename(o.weights)} (sha256 ${sha256FileSync(o.weights).slice(0, 16)})` : 'random initialisation',
      trainingRun: {
        run_id: this.runId,
        started_at: this.previousRun?.createdAt ?? new Date(Date.now() - (performance.now() - this.sessionStart)).toISOString(),
        finished_at: finishedAt,
        epochs: o.epochs,
        best_epoch: this.best?.epoch ?? null,
        batch_size: o.batchSize,
        learning_rate: o.lr,
        weight_decay: o.weightDecay,
        seed: o.seed,
        loss: p.config.loss,
        weighting: p.config.weighting,
        class_weights: p.weights,
        drop_path_rate: p.modelConfig.vit.dropPathRate,
        keep: keepRule(o),
        device: engine.ready.provider,
      },
      datasetSha256: p.dataset.hash,
      metrics: [
        ...(this.valReport ? [{ split: 'val', ...pickMetrics(this.valReport) }] : []),
        ...(this.testReport ? [{ split: 'test', ...pickMetrics(this.testReport) }] : []),
      ],
      batchSize: EXPORT_BATCH,
    });
    const modelId = sha256FileSync(f.model).slice(0, 16);
    registerModel(o.db, {
      id: modelId,
      path: f.model,
      runId: this.runId,
      name: o.modelName ?? `${o.variant} ${o.backbone} run ${this.runId}`,
      classes: p.classes,
      metadata: Object.fromEntries(Object.entries(metadata).map(([k, val]) => [k, typeof val === 'string' ? val : JSON.stringify(val)])),
    });
    const report = {
      run_id: this.runId,
      model: { path: f.model, id: modelId },
      config: p.config,
      dataset: {
        sha256: p.dataset.hash,
        classes: p.classes,
        counts: Object.fromEntries(
          (['train', 'val', 'test'] as const).map((s) => [s, Object.fromEntries(p.classes.map((c, i) => [c, p.splits[s].filter((it) => it.classIndex === i).length]))]),
        ),
        newly_assigned_to_splits: p.dataset.newlyAssigned,
        classes_without_training_images: p.dataset.skippedClasses,
        // Left out of training and evaluation; `counts` are of the photos used.
        unreadable: p.dataErrors,
      },
      class_weights: Object.fromEntries(p.classes.map((c, i) => [c, p.weights[i]])),
      // The cosine runs over total_steps; a run that completed took exactly that many.
      schedule: { steps_per_epoch: p.stepsPerEpoch, steps_per_chunk: p.stepsPerChunk, total_steps: p.schedule.totalSteps, warmup_steps: p.schedule.warmupSteps ?? 0, steps_taken: this.stepsTaken },
      device: engine.ready.provider,
      device_note: this.providerNote,
      epochs: this.epochs,
      best: this.best,
      validation: this.valReport,
      test: this.testReport,
      // Summed over every process that worked on the run (`sessions`: 1 + resumes). train_seconds: inside the
      // engine's train chunks only; wall_seconds: preparation and validation included (export not).
      timing: {
        train_seconds: timing.trainSeconds,
        train_images: timing.trainedImages,
        train_images_per_second: trainImagesPerSecond,
        wall_seconds: timing.wallSeconds,
        sessions: timing.sessions,
        finished_at: finishedAt,
      },
    };
    writeFileAtomicSync(f.report, JSON.stringify(report, null, 2) + '\n');
    setRunStatus(o.db, this.runId, 'completed');
    // The run is finished: its resumable state is no longer needed.
    fs.rmSync(f.checkpoint, { force: true });
    return this.result('completed', { modelPath: f.model, modelId, reportPath: f.report });
  }
}

/** The run's checkpoint rule. */
const keepRule = (o: Pick<TrainOptions, 'keep'>): KeepRule => o.keep ?? TRAIN_DEFAULTS.keep;

/** A resumable checkpoint, or a TrainingError naming it and saying what to do. */
function readCheckpointFile(file: string, outDir: string): ReturnType<typeof loadCheckpoint> {
  try {
    return loadCheckpoint(file);
  } catch (err) {
    throw new TrainingError(`${file} cannot be read (${(err as Error).message}); use --restart to start over in ${outDir}`);
  }
}

/**
 * The kept (best-validation) weights of the run being resumed, from best.orelabck: there, readable, of this
 * run, and complete for the model; otherwise a TrainingError naming the file and saying what to do.
 */
function readKeptWeights(file: string, epoch: number, configHash: string, model: ModelDefinition, outDir: string): ParamValues {
  const refuse = (why: string) =>
    new TrainingError(`${file} ${why}: it holds the weights this unfinished run kept (epoch ${epoch + 1}), and the run cannot be finished without them; use --restart to start over in ${outDir}`);
  if (!fs.existsSync(file)) throw refuse('is missing');
  let saved: ReturnType<typeof loadCheckpoint>;
  try {
    saved = loadCheckpoint(file);
  } catch (err) {
    throw refuse(`cannot be read (${(err as Error).message})`);
  }
  if (saved.meta.configHash !== configHash) throw refuse('belongs to another run');
  const missing = model.params.filter((p) => saved.state.params.get(p.name)?.length !== p.shape.reduce((a, b) => a * b, 1));
  if (missing.length > 0) throw refuse(`lacks ${missing.length} of the model's parameters (${missing[0]!.name}…)`);
  return saved.state.params;
}

function pickMetrics(r: ClassificationReport) {
  return { accuracy: r.accuracy, macro_f1: r.macro_f1, per_class: r.per_class };
}

function largestDivisorAtMost(n: number, max: number): number {
  for (let k = Math.min(n, Math.max(1, max)); k > 1; k--) if (n % k === 0) return k;
  return 1;
}

/** Pretrained backbone weights, matched to the model (new head, CBAM left to its initialisation). */
function pretrainedValues(file: string, model: ModelDefinition): Map<string, Float32Array> {
  if (!fs.existsSync(file)) throw new TrainingError(`${file}: no such weights file`);
  const tensors = file.toLowerCase().endsWith('.npz') ? readNpz(file) : readSafetensors(file).tensors;
  const fit = fitPretrained(toTimmVit(tensors).tensors, model.params);
  return new Map([...fit.values].map(([name, t]) => [name, t.data]));
}

/** K loaded batches as one train chunk: stacked images and labels, per-step DropPath masks and learning rates. */
function chunkData(batches: Batch[], model: ModelDefinition, firstStep: number, seed: number, lrs: Float32Array) {
  const per = batches[0]!.images.length;
  const b = batches[0]!.labels.length;
  const images = new Float32Array(batches.length * per);
  const labels = new Int32Array(batches.length * b);
  batches.forEach((batch, k) => {
    images.set(batch.images, k * per);
    labels.set(batch.labels, k * b);
  });
  const rates = model.dropPathRates;
  const dropMasks = new Float32Array(batches.length * rates.length * b);
  batches.forEach((_, k) => {
    const random = mulberry32(mixSeed(seed, firstStep + k, 0xd7));
    rates.forEach((rate, slot) => {
      for (let i = 0; i < b; i++) dropMasks[(k * rates.length + slot) * b + i] = random() < rate ? 0 : 1;
    });
  });
  return { images, labels, dropMasks, lrs };
}

/** Runs a split through the engine's forward graph: classification report and mean (unweighted) cross-entropy. */
async function evaluateSplit(engine: TrainingEngine, source: BatchSource, classes: readonly string[]): Promise<{ report: ClassificationReport; loss: number }> {
  const truth: number[] = [];
  const predicted: number[] = [];
  let lossSum = 0;
  for await (const batch of prefetched(source.evalPlan(32), (indices) => source.load(indices, null))) {
    const { logits } = await engine.evaluate(batch.images, batch.labels.length);
    for (let i = 0; i < batch.labels.length; i++) {
      const probs = softmax(logits, i * classes.length, classes.length);
      const y = batch.labels[i]!;
      lossSum += -Math.log(Math.max(probs[y]!, 1e-12));
      truth.push(y);
      predicted.push(argmax(probs));
    }
  }
  return { report: classificationReport(classes, truth, predicted), loss: truth.length ? lossSum / truth.length : 0 };
}
