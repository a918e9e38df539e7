// Read models for the Training, Reports and Relabel pages: the catalogue's runs and models in the contract's
// shapes, the kept checkpoint of a run (and why), and the classifier cache's model lookup.
import fs from 'node:fs';
import path from 'node:path';
import { modelVariant } from '../../shared/model-metadata';
import { KEEP_RULES, TRAIN_DEFAULTS, type KeepRule } from '../../shared/training-options';
import { TrainParamsSchema, type EpochMetrics, type ModelSummary, type RunSummary, type TrainParams } from '../../shared/ipc';
import { runFiles } from '../jobs/train/train';
import { cvFoldOfRunDir } from '../jobs/cv/cv';
import { cvRuns, epochMetrics, getRunOverview, modelMetadata, listModels, listRunOverviews, predictionCounts, type Db, type ModelRecord, type RunOverview, type TrainingRunRecord } from '../catalogue';

export { modelMetadata } from '../catalogue';

export function modelSummaries(db: Db): ModelSummary[] {
  const counts = predictionCounts(db);
  return listModels(db).map((m) => modelSummary(m, counts.get(m.id) ?? 0));
}

export function modelSummary(m: ModelRecord, predictions: number): ModelSummary {
  const meta = modelMetadata(m);
  return {
    id: m.id,
    name: m.name,
    path: m.path,
    createdAt: m.createdAt,
    runId: m.runId,
    classes: m.classes,
    variant: meta ? modelVariant(meta) : 'unknown',
    backbone: meta?.architecture.backbone ?? 'unknown',
    imageSize: meta?.preprocessing.size ?? 0,
    hasAttention: Boolean(meta?.outputs.attention),
    fileExists: fs.existsSync(m.path),
    predictions,
    metrics: (meta?.metrics ?? []).map((x) => ({ split: x.split, accuracy: x.accuracy, macro_f1: x.macro_f1 })),
  };
}

/**
 * The `train` params a run was started with, from its stored configuration: what Resume sends again. A
 * variant or backbone this Orelab does not offer is an error, not a silent default: the run is not resumable
 * here, and the problem says why.
 */
export function runSettings(run: TrainingRunRecord): { settings: TrainParams; problem: null } | { settings: null; problem: string } {
  const c = run.config;
  const num = (key: string): number | undefined => (typeof c[key] === 'number' ? (c[key] as number) : undefined);
  const vit = (c.vit ?? {}) as { imageSize?: unknown; dropPathRate?: unknown };
  const parsed = TrainParamsSchema.safeParse({
    outDir: run.outDir,
    variant: run.variant,
    backbone: run.backbone,
    weights: typeof c.weights === 'string' ? c.weights : null,
    epochs: num('epochs'),
    batchSize: num('batchSize'),
    lr: num('lr'),
    weightDecay: num('weightDecay'),
    seed: num('seed'),
    device: 'auto',
    // A plain-ViT run stores weighting 'none' and a ViT run no CBAM gate: its settings take the defaults,
    // which the trainer ignores for that variant (the run's configuration hash is the same).
    weighting: c.weighting === 'none' || c.weighting === null ? undefined : c.weighting,
    ...(num('beta') !== undefined ? { beta: num('beta') } : {}),
    cbamGate: c.cbamGate === null ? undefined : c.cbamGate,
    warmupEpochs: num('warmupEpochs'),
    imageSize: typeof vit.imageSize === 'number' ? vit.imageSize : undefined,
    // The rate is the ViT's (vit.dropPathRate, in every run's stored configuration); the keep rule is stored only
    // when it is not the default (jobs/train/train.ts), so its absence is best-acc.
    dropPath: typeof vit.dropPathRate === 'number' ? vit.dropPathRate : undefined,
    keep: c.keep ?? undefined,
    limitPerClass: num('limitPerClass') ?? null,
    restart: false,
  });
  if (parsed.success) return { settings: parsed.data, problem: null };
  const issue = parsed.error.issues[0]!;
  return { settings: null, problem: `run ${run.id} was started with settings this Orelab cannot repeat (${issue.path.join('.')}: ${issue.message})` };
}

/** A run in the contract's shape (one query for its epoch count and newest model). */
export function runSummary(db: Db, run: TrainingRunRecord): RunSummary {
  return summaryOf(getRunOverview(db, run.id) ?? { ...run, epochsDone: 0, modelId: null }, cvFoldFinder(db));
}

/** Finds the cross-validation fold a run's folder belongs to, over the catalogue's cv runs (read once). */
function cvFoldFinder(db: Db): (outDir: string) => RunSummary['cvFold'] {
  const runs = cvRuns(db);
  return (outDir) => {
    for (const cv of runs) {
      const fold = cvFoldOfRunDir(cv.outDir, cv.folds, outDir);
      if (fold !== null) return { run: cv.name, fold };
    }
    return null;
  };
}

/** A run in the contract's shape, from the catalogue's overview (the run, its epoch count and newest model). */
function summaryOf(run: RunOverview, cvFoldOf: (outDir: string) => RunSummary['cvFold']): RunSummary {
  const status = run.status;
  const settings = runSettings(run);
  return {
    id: run.id,
    createdAt: run.createdAt,
    finishedAt: run.finishedAt,
    status,
    variant: run.variant,
    backbone: run.backbone,
    outDir: run.outDir,
    classes: run.classes,
    classWeights: run.classWeights,
    bestEpoch: run.bestEpoch,
    bestValAccuracy: run.bestValAccuracy,
    error: run.error,
    epochsDone: run.epochsDone,
    settings: settings.settings,
    settingsProblem: settings.problem,
    resumable: settings.settings !== null && status !== 'completed' && fs.existsSync(runFiles(run.outDir).checkpoint),
    modelId: run.modelId,
    cvFold: cvFoldOf(run.outDir),
  };
}

export function runSummaries(db: Db): RunSummary[] {
  const cvFoldOf = cvFoldFinder(db);
  return listRunOverviews(db).map((run) => summaryOf(run, cvFoldOf));
}

export function runEpochs(db: Db, runId: number): EpochMetrics[] {
  return epochMetrics(db, runId);
}

export { keptCheckpoint } from '../../shared/training';

/** The run's checkpoint rule, from its stored configuration (stored only when not the default). */
export function keepRuleOf(run: TrainingRunRecord): KeepRule {
  const k = run.config.keep;
  return KEEP_RULES.find((r) => r === k) ?? TRAIN_DEFAULTS.keep;
}

/** A fresh run folder beside the catalogue: <catalogue>-runs/run-YYYYMMDD-HHMMSS. */
export function suggestedRunFolder(cataloguePath: string, now = new Date()): string {
  const p = (n: number) => String(n).padStart(2, '0');
  const stamp = `${now.getFullYear()}${p(now.getMonth() + 1)}${p(now.getDate())}-${p(now.getHours())}${p(now.getMinutes())}${p(now.getSeconds())}`;
  const base = path.basename(cataloguePath).replace(/\.[^.]+$/, '');
  return path.join(path.dirname(cataloguePath), `${base}-runs`, `run-${stamp}`);
}
