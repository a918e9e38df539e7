// Use case: k-fold cross-validation on the catalogue. The CLI (`orelab cv`) and the app's `cv` job come here
// with the same CvParams (shared/schemas/cv.ts), already parsed by their shell.
//
//   params (CvParamsSchema) → checkCv: what training refuses, before a job exists
//                           → runCv:   crossValidate (jobs/cv): K trainings (jobs/train, the engine in its worker),
//                                      each held-out fold scored by its model (jobs/inference, in its workers)
import path from 'node:path';
import type { z } from 'zod';
import type { CvParams, CvProgressSchema, CvResultSchema, CvRunBrief, PredictedSpecimen, StoredCvSummarySchema } from '../../shared/schemas';
import { cvConfusionCellSpecimens, cvRuns, findCvRun, type CvRunRecord } from '../catalogue';
import { crossValidate } from '../jobs/cv/cv';
import { ensurePhotoHashes } from '../jobs/hash-backfill';
import { WeightsFileError } from '../engine';
import { UserError } from '../../shared/errors';
import { openModelFile } from './classify';
import { ensureEmbeddings } from './embed';
import type { RunHooks, ServiceContext } from './context';
import { checkTrain, trainingSettings, TrainProgressTracker } from './train';

export type CvProgressInfo = z.output<typeof CvProgressSchema>;
export type CvResultInfo = z.output<typeof CvResultSchema>;

/** The prediction set's name: the one given, else the folder's; TTA scores the same folds into a second set. */
export function cvRunName(params: Pick<CvParams, 'name' | 'outDir' | 'tta'>): string {
  const base = params.name ?? path.basename(path.resolve(params.outDir));
  return params.tta ? `${base}+tta` : base;
}

/** Refuses a cross-validation that cannot work (the folder, the weights), before anything starts. */
export function checkCv(params: CvParams): void {
  // A fold's folder is checked by its own training; the run's folder is a folder of folds, never a model's.
  checkTrain({ ...params, restart: true });
}

/** Runs (or resumes) the cross-validation; resolves with the summary, `cancelled` when the signal stopped it. */
export async function runCv(ctx: ServiceContext, params: CvParams, hooks: RunHooks<CvProgressInfo> = {}): Promise<CvResultInfo> {
  checkCv(params);
  const tracker = new TrainProgressTracker(ctx);
  // Folds keep photo groups whole. Groups join near-duplicates by their hashes, and by the shipped backbone's
  // embeddings (mirrored and re-shot copies the hashes miss: docs/results.md), made here if missing: a minute
  // for minerals7 on two cores, against hours of training.
  await ensurePhotoHashes(ctx.db, hooks.signal ? { signal: hooks.signal } : {});
  await ensureEmbeddings(ctx, { model: null, device: params.device }, hooks.signal ? { signal: hooks.signal } : {});
  try {
    return await crossValidate({
      db: ctx.db,
      cataloguePath: ctx.cataloguePath,
      outDir: path.resolve(params.outDir),
      name: cvRunName(params),
      folds: params.folds,
      foldSeed: params.foldSeed,
      train: trainingSettings(params),
      tta: params.tta,
      restart: params.restart,
      openClassifier: (modelPath) => openModelFile(modelPath, { device: params.device }),
      ...(hooks.signal ? { signal: hooks.signal } : {}),
      ...(hooks.onProgress ? { onProgress: (p) => hooks.onProgress!({ ...p, train: p.train ? tracker.update(p.train) : null }) } : {}),
    });
  } catch (err) {
    if (err instanceof WeightsFileError) throw new UserError('invalid-input', err.message);
    throw err;
  }
}

export type StoredCvSummary = z.output<typeof StoredCvSummarySchema>;

function brief(r: CvRunRecord): CvRunBrief {
  const summary = r.summary as (StoredCvSummary & Record<string, unknown>) | null;
  return {
    id: r.id,
    name: r.name,
    status: r.status,
    folds: r.folds,
    createdAt: r.createdAt,
    finishedAt: r.finishedAt,
    tta: r.config.tta === true,
    accuracy: summary?.pooled.accuracy ?? null,
    macroF1: summary?.pooled.macro_f1 ?? null,
    predicted: summary?.predicted ?? null,
  };
}

/** The catalogue's cross-validation runs, newest first. */
export function listCv(ctx: Pick<ServiceContext, 'db'>): CvRunBrief[] {
  return cvRuns(ctx.db).map(brief);
}

function requireCvRun(ctx: Pick<ServiceContext, 'db'>, name: string): CvRunRecord {
  const run = findCvRun(ctx.db, name);
  if (!run) {
    const known = cvRuns(ctx.db).map((r) => r.name);
    throw new UserError('not-found', `no cross-validation run "${name}" in this catalogue${known.length ? `; its runs: ${known.join(', ')}` : ' (orelab cv makes one)'}`);
  }
  return run;
}

/** One run and its summary (null until it finished). */
export function cvReport(ctx: Pick<ServiceContext, 'db'>, name: string): { run: CvRunBrief; summary: StoredCvSummary | null } {
  const run = requireCvRun(ctx, name);
  return { run: brief(run), summary: run.status === 'completed' ? (run.summary as StoredCvSummary | null) : null };
}

/** The specimens of one pooled confusion cell of a run. */
export function cvCell(
  ctx: Pick<ServiceContext, 'db'>,
  r: { name: string; trueClass: string; predictedClass: string; offset: number; limit: number },
): { total: number; classes: string[]; items: PredictedSpecimen[] } {
  const run = requireCvRun(ctx, r.name);
  const known = (name: string) => run.classes.some((c) => c.toLowerCase() === name.toLowerCase());
  if (!known(r.trueClass) || !known(r.predictedClass)) {
    throw new UserError('invalid-input', `cross-validation run "${run.name}" has no class "${known(r.trueClass) ? r.predictedClass : r.trueClass}"; its classes: ${run.classes.join(', ')}`);
  }
  return { ...cvConfusionCellSpecimens(ctx.db, run.id, r.trueClass, r.predictedClass, r.offset, r.limit), classes: run.classes };
}
