// k-fold cross-validation: K models, each trained (jobs/train) without one fold of photo groups, and every
// labeled specimen's out-of-fold prediction from the model that never saw it. Resumable after a kill at any
// moment: the plan is fixed in OUT/cv-plan.json, each fold's training resumes from its own checkpoint, and a
// fold whose out-of-fold predictions are written (OUT/fold-K/oof.json) is not trained or scored again.
import fs from 'node:fs';
import path from 'node:path';
import crypto from 'node:crypto';
import type { InputError } from '../../../shared/domain';
import { UserError } from '../../../shared/errors';
import { argmax, classificationReport, type ClassificationReport } from '../../../shared/metrics';
import { writeFileAtomicSync } from '../../base/atomic-write';
import { sha256FileSync } from '../../base/file-hash';
import {
  activeLabeledSpecimens,
  countExcludedSpecimens,
  countSpecimens,
  finishCvRun,
  photoGroups,
  putOutOfFoldPredictions,
  startCvRun,
  type Db,
  type OutOfFoldPrediction,
} from '../../catalogue';
import type { BatchClassifier } from '../batch-classifier';
import type { DataItem } from '../cached-batches';
import { evaluateItems } from '../evaluate';
import { runFiles, trainModel, type TrainProgress, type TrainSettings } from '../train/train';
import { planFolds, type FoldPlan } from './folds';

export interface CvOptions {
  db: Db;
  cataloguePath: string;
  outDir: string;
  /** The prediction set's name in the catalogue (with TTA, a second set of the same folds). */
  name: string;
  folds: number;
  /** Seeds the fold assignment (not the training: `train.seed` does that), so that runs of different recipes share their folds. */
  foldSeed: number;
  /** What every fold's training shares. */
  train: TrainSettings;
  /** Score each held-out fold with test-time augmentation (the 8 flips and quarter turns); training is the same either way. */
  tta: boolean;
  /** Start over in OUT: the plan and every fold's training and predictions are redone. */
  restart: boolean;
  /** Opens an exported fold model for inference (the service's way of opening models). */
  openClassifier: (modelPath: string) => Promise<BatchClassifier & { close(): Promise<void> }>;
  signal?: AbortSignal;
  onProgress?: (p: CvProgress) => void;
}

export interface CvProgress {
  phase: 'preparing' | 'training' | 'scoring';
  /** 0-based fold in progress. */
  fold: number;
  folds: number;
  /** The fold's training progress, while it trains. */
  train: TrainProgress | null;
  /** Held-out photos scored so far of the fold's. */
  scored: number;
  toScore: number;
}

export interface FoldSummary {
  fold: number;
  /** Photos held out in the fold and scored (readable, labeled with one of the run's classes). */
  specimens: number;
  accuracy: number;
  macro_f1: number;
  per_class: ClassificationReport['per_class'];
  modelPath: string;
  /** The epoch its validation share picked (1-based), when the fold trained in this catalogue's run. */
  keptEpoch: number | null;
}

export interface CvSummary {
  name: string;
  folds: FoldSummary[];
  /** The out-of-fold predictions of every fold together: the shape of `orelab eval --json`'s report. */
  pooled: ClassificationReport;
  /** Mean and sample standard deviation over the folds. */
  mean: { accuracy: number; macro_f1: number };
  sd: { accuracy: number; macro_f1: number };
  tta: boolean;
  /** Labeled specimens given an out-of-fold prediction, specimens without a label (no prediction), photos that could not be read. */
  predicted: number;
  unlabeled: number;
  /** Specimens the user excluded (labeled or not): no prediction. */
  excluded: number;
  errors: InputError[];
  classes: string[];
  groups: number;
  config: Record<string, unknown>;
}

export interface CvResult {
  status: 'completed' | 'cancelled';
  cvRunId: number;
  summary: CvSummary | null;
  summaryPath: string | null;
  /** Folds done in an earlier session (a resumed run). */
  resumedFolds: number;
}

const PLAN_FORMAT = 'orelab-cv-plan/1';

interface OofFile {
  planHash: string;
  fold: number;
  tta: boolean;
  predictions: OutOfFoldPrediction[];
  errors: InputError[];
  keptEpoch: number | null;
}

/** Where fold K (from 0) of the run in `outDir` trains: `fold-{K+1}`. */
const foldDirName = (fold: number) => `fold-${fold + 1}`;

export const cvFiles = (outDir: string, tta: boolean) => ({
  plan: path.join(outDir, 'cv-plan.json'),
  summary: path.join(outDir, tta ? 'cv-tta.json' : 'cv.json'),
  foldDir: (fold: number) => path.join(outDir, foldDirName(fold)),
  oof: (fold: number) => path.join(outDir, foldDirName(fold), tta ? 'oof-tta.json' : 'oof.json'),
});

/**
 * The fold (from 1, as its folder says) whose training run lives in `runOutDir`, if that is one of the fold
 * folders of the cross-validation in `cvOutDir` with `folds` folds; else null.
 */
export function cvFoldOfRunDir(cvOutDir: string, folds: number, runOutDir: string): number | null {
  const run = path.resolve(runOutDir);
  for (let k = 0; k < folds; k++) if (path.join(path.resolve(cvOutDir), foldDirName(k)) === run) return k + 1;
  return null;
}

/** Runs (or resumes) a cross-validation; resolves `cancelled` when the signal stopped it (a re-run goes on). */
export async function crossValidate(o: CvOptions): Promise<CvResult> {
  const outDir = path.resolve(o.outDir);
  const files = cvFiles(outDir, o.tta);
  progress(o, { phase: 'preparing', fold: 0, train: null, scored: 0, toScore: 0 });
  const rows = activeLabeledSpecimens(o.db);
  // Specimens without a label (or under a merged class): counted, never predicted; read with the rows, once.
  const excluded = countExcludedSpecimens(o.db);
  const unlabeled = countSpecimens(o.db) - rows.length - excluded;
  const { groupOf } = photoGroups(o.db);
  const specimens = rows.map((r) => ({ id: r.id, sha256: r.sha256, class: r.class, path: r.path, group: groupOf.get(r.id) ?? r.id }));
  const classes = [...new Set(rows.map((r) => r.class))].sort((a, b) => a.localeCompare(b));
  if (classes.length < 2) throw new UserError('invalid-input', `cross-validation needs labeled photos of at least two classes; the catalogue has ${classes.length}`);
  const plan = planFolds(specimens, o.folds, o.foldSeed);
  const weights = o.train.weights ? path.resolve(o.train.weights) : null;
  const config = { folds: o.folds, foldSeed: o.foldSeed, train: { ...o.train, weights } };
  // The plan names the weights by their bytes, not their path: the same run resumes from a moved install or
  // clone, and a weights file replaced in place starts a new plan instead of mixing two backbones' folds.
  const hashedConfig = { ...config, train: { ...config.train, weights: weights && sha256FileSync(weights) } };
  const planHash = crypto
    .createHash('sha256')
    .update(JSON.stringify({ config: hashedConfig, classes, folds: specimens.map((s) => `${s.sha256} ${s.class} ${plan.foldOf.get(s.id)}`) }))
    .digest('hex');
  const fresh = preparePlanFile(files, outDir, o.folds, planHash, o.restart);
  const cvRunId = startCvRun(o.db, { name: o.name, folds: o.folds, outDir, config: { ...config, tta: o.tta, planHash }, classes }, { fresh });

  const foldSummaries: FoldSummary[] = [];
  const allPredictions: OutOfFoldPrediction[] = [];
  const errors: InputError[] = [];
  let resumedFolds = 0;
  try {
    for (let fold = 0; fold < o.folds; fold++) {
      let oof = readOofFile(files.oof(fold), planHash, o.tta);
      if (oof) resumedFolds++;
      else {
        const trained = await trainFold(o, plan, fold, files.foldDir(fold));
        if (trained === null) {
          finishCvRun(o.db, cvRunId, 'cancelled', null);
          return { status: 'cancelled', cvRunId, summary: null, summaryPath: null, resumedFolds };
        }
        const held = specimens.filter((s) => plan.foldOf.get(s.id) === fold);
        const scored = await scoreFold(o, trained.modelPath, classes, held, fold);
        if (scored === null) {
          finishCvRun(o.db, cvRunId, 'cancelled', null);
          return { status: 'cancelled', cvRunId, summary: null, summaryPath: null, resumedFolds };
        }
        oof = { planHash, fold, tta: o.tta, predictions: scored.predictions, errors: scored.errors, keptEpoch: trained.keptEpoch };
        writeFileAtomicSync(files.oof(fold), JSON.stringify(oof) + '\n');
      }
      putOutOfFoldPredictions(o.db, cvRunId, fold, oof.predictions);
      allPredictions.push(...oof.predictions);
      errors.push(...oof.errors);
      foldSummaries.push(summarizeFold(classes, oof, runFiles(files.foldDir(fold)).model));
    }
  } catch (err) {
    finishCvRun(o.db, cvRunId, 'failed', null);
    throw err;
  }
  const summary = summarize(o, classes, foldSummaries, allPredictions, errors, groupOf, config, { unlabeled, excluded });
  writeFileAtomicSync(files.summary, JSON.stringify(summary, null, 2) + '\n');
  finishCvRun(o.db, cvRunId, 'completed', { ...summary, folds: summary.folds.map(({ per_class: _, ...f }) => f) });
  return { status: 'completed', cvRunId, summary, summaryPath: files.summary, resumedFolds };
}

function progress(o: CvOptions, p: Omit<CvProgress, 'folds'>): void {
  o.onProgress?.({ ...p, folds: o.folds });
}

/**
 * Fixes the plan in OUT (or checks it is the one there): a folder holding another plan is refused unless the
 * run restarts, and a restart clears the fold folders it made. Returns whether the plan is new.
 */
function preparePlanFile(files: ReturnType<typeof cvFiles>, outDir: string, folds: number, planHash: string, restart: boolean): boolean {
  if (fs.existsSync(outDir) && !fs.statSync(outDir).isDirectory()) throw new UserError('invalid-input', `${outDir} is a file; the output must be a folder`);
  const existing = readJson(files.plan) as { format?: string; planHash?: string; folds?: number } | null;
  if (existing && existing.planHash === planHash && !restart) return false;
  if (existing && !restart) {
    throw new UserError(
      'conflict',
      `${outDir} holds a cross-validation with other settings, folds or data (the catalogue changed since?); use --restart to start over there, or another --out folder`,
    );
  }
  if (!existing && fs.existsSync(outDir) && fs.readdirSync(outDir).length > 0 && !restart) {
    throw new UserError('conflict', `${outDir} is not empty and holds no cross-validation of Orelab's; choose an empty or new --out folder`);
  }
  // Only what a run makes here: the fold folders of the old plan, and its summaries.
  for (let k = 0; k < Math.max(folds, existing?.folds ?? 0); k++) fs.rmSync(files.foldDir(k), { recursive: true, force: true });
  for (const f of ['cv.json', 'cv-tta.json']) fs.rmSync(path.join(outDir, f), { force: true });
  fs.mkdirSync(outDir, { recursive: true });
  writeFileAtomicSync(files.plan, JSON.stringify({ format: PLAN_FORMAT, planHash, folds }, null, 2) + '\n');
  return true;
}

/** Trains fold k (or resumes it; a fold trained before needs nothing), or null when cancelled. */
async function trainFold(o: CvOptions, plan: FoldPlan, fold: number, foldDir: string): Promise<{ modelPath: string; keptEpoch: number | null } | null> {
  const f = runFiles(foldDir);
  if (fs.existsSync(f.model) && !fs.existsSync(f.checkpoint)) return { modelPath: f.model, keptEpoch: keptEpochOf(f.report) };
  const result = await trainModel({
    ...o.train,
    db: o.db,
    cataloguePath: o.cataloguePath,
    outDir: foldDir,
    assignment: plan.assignment(fold),
    modelName: `${o.name} fold ${fold + 1} of ${o.folds}`,
    ...(o.signal ? { signal: o.signal } : {}),
    onProgress: (p) => progress(o, { phase: 'training', fold, train: p, scored: 0, toScore: 0 }),
  });
  if (result.status === 'cancelled' || !result.modelPath) return null;
  return { modelPath: result.modelPath, keptEpoch: result.best ? result.best.epoch + 1 : null };
}

function keptEpochOf(reportFile: string): number | null {
  const report = readJson(reportFile) as { best?: { epoch?: number } } | null;
  return typeof report?.best?.epoch === 'number' ? report.best.epoch + 1 : null;
}

/** The held-out photos through the fold's model (with TTA if asked): one out-of-fold prediction each, or null when cancelled. */
async function scoreFold(
  o: CvOptions,
  modelPath: string,
  classes: readonly string[],
  held: readonly { id: number; sha256: string; path: string; class: string }[],
  fold: number,
): Promise<{ predictions: OutOfFoldPrediction[]; errors: InputError[] } | null> {
  const classifier = await o.openClassifier(modelPath);
  try {
    // The fold model's classes are the run's (every class has photos of at least K rocks, so each training part has some).
    const modelIndex = classes.map((c) => classifier.classes.findIndex((m) => m.toLowerCase() === c.toLowerCase()));
    if (modelIndex.some((i) => i < 0)) throw new Error(`${modelPath} lacks a class of the run (${classes.join(', ')})`);
    const items: DataItem[] = held.map((s) => ({ specimenId: s.id, sha256: s.sha256, path: s.path, classIndex: modelIndex[classes.indexOf(s.class)]! }));
    const evaluation = await evaluateItems(o.cataloguePath, classifier, items, {
      tta: o.tta,
      ...(o.signal ? { signal: o.signal } : {}),
      onProgress: (done, total) => progress(o, { phase: 'scoring', fold, train: null, scored: done, toScore: total }),
    });
    if (evaluation.partial) return null;
    const labelOf = new Map(held.map((s) => [s.id, s.class]));
    const predictions = evaluation.scored.map(({ specimenId, probabilities }): OutOfFoldPrediction => {
      const probs = modelIndex.map((m) => probabilities[m]!);
      const best = argmax(probs);
      const label = labelOf.get(specimenId)!;
      return { specimenId, fold, label, predictedClass: classes[best]!, confidence: probs[best]!, probabilities: probs, loss: -Math.log(Math.max(probs[classes.indexOf(label)]!, 1e-12)) };
    });
    return { predictions, errors: evaluation.errors };
  } finally {
    await classifier.close();
  }
}

function readOofFile(file: string, planHash: string, tta: boolean): OofFile | null {
  const oof = readJson(file) as OofFile | null;
  return oof && oof.planHash === planHash && oof.tta === tta && Array.isArray(oof.predictions) ? oof : null;
}

/** A JSON file Orelab wrote, or null when it is missing or unreadable (a torn write is redone, never trusted). */
function readJson(file: string): unknown {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as unknown;
  } catch {
    return null;
  }
}

function reportOf(classes: readonly string[], predictions: readonly OutOfFoldPrediction[], groups?: readonly number[]): ClassificationReport {
  const index = new Map(classes.map((c, i) => [c, i]));
  return classificationReport(
    classes,
    predictions.map((p) => index.get(p.label)!),
    predictions.map((p) => index.get(p.predictedClass)!),
    groups ? { groups } : {},
  );
}

function summarizeFold(classes: readonly string[], oof: OofFile, modelPath: string): FoldSummary {
  const r = reportOf(classes, oof.predictions);
  return { fold: oof.fold + 1, specimens: oof.predictions.length, accuracy: r.accuracy, macro_f1: r.macro_f1, per_class: r.per_class, modelPath, keptEpoch: oof.keptEpoch };
}

function meanSd(values: readonly number[]): { mean: number; sd: number } {
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  const sd = values.length > 1 ? Math.sqrt(values.reduce((a, v) => a + (v - mean) ** 2, 0) / (values.length - 1)) : 0;
  return { mean, sd };
}

function summarize(
  o: CvOptions,
  classes: string[],
  folds: FoldSummary[],
  predictions: readonly OutOfFoldPrediction[],
  errors: InputError[],
  groupOf: ReadonlyMap<number, number>,
  config: Record<string, unknown>,
  leftOut: { unlabeled: number; excluded: number },
): CvSummary {
  // The macro F1 interval resamples whole photo groups: photos of one rock are not independent evidence.
  const pooled = reportOf(classes, predictions, predictions.map((p) => groupOf.get(p.specimenId) ?? p.specimenId));
  const accuracy = meanSd(folds.map((f) => f.accuracy));
  const macroF1 = meanSd(folds.map((f) => f.macro_f1));
  const labeled = new Set(predictions.map((p) => groupOf.get(p.specimenId) ?? p.specimenId));
  return {
    name: o.name,
    folds,
    pooled,
    mean: { accuracy: accuracy.mean, macro_f1: macroF1.mean },
    sd: { accuracy: accuracy.sd, macro_f1: macroF1.sd },
    tta: o.tta,
    predicted: predictions.length,
    ...leftOut,
    errors,
    classes,
    groups: labeled.size,
    config,
  };
}
