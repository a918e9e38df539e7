// Use case: find the wrong labels in the whole catalogue, and the photos that are no specimen of any class.
// `orelab label-issues` comes here (and the app's Relabel page will).
//
//   params (LabelIssuesParamsSchema)
//     → out-of-fold probabilities of every labeled specimen:
//         quick: ensureEmbeddings (the backbone's vectors, cached per model file) → group-aware stratified K folds
//                → a logistic regression per fold (jobs/label-issues/quick.ts)
//         cv:    the stored out-of-fold predictions of an `orelab cv` run (catalogue/cv.ts)
//     → confident learning (jobs/label-issues/confident-learning.ts): thresholds, joint, noise, ranked issues,
//       each with its probabilities and its five nearest labeled photos of other rocks
//     → outliers (jobs/label-issues/neighbours.ts): every embedded photo's mean distance to its k nearest others,
//       above the catalogue's far-out fence
import fs from 'node:fs';
import { UserError } from '../../shared/errors';
import type { LabelIssueItem, LabelIssuesParams, LabelIssuesProgress, LabelIssuesResult } from '../../shared/schemas';
import { cvRuns, getEmbeddings, outOfFoldPredictions, photoGroups, type CvRunRecord } from '../catalogue';
import { auditSpecimens, type AuditSpecimen } from '../catalogue/label-issues';
import { ensurePhotoHashes } from '../jobs/hash-backfill';
import { confidentLearning } from '../jobs/label-issues/confident-learning';
import { nearestNeighbours, outlierScores, outlierThreshold, type EmbeddedItem } from '../jobs/label-issues/neighbours';
import { planQuickFolds, quickOutOfFold, type QuickSpecimen, type TooSmallClass } from '../jobs/label-issues/quick';
import { defaultWeightsPath } from '../jobs/train/weights';
import type { RunHooks, ServiceContext } from './context';
import { ensureEmbeddings } from './embed';

/** Neighbours shown with each issue. */
const EVIDENCE_NEIGHBOURS = 5;

export interface LabelIssuesOptions {
  /** Where the shipped backbone is looked for (default: resources/models); a test names a missing one. */
  shippedBackbone?: string;
}

/** Out-of-fold probabilities, whichever way they were made. */
interface OutOfFold {
  classes: string[];
  specimens: AuditSpecimen[];
  /** n × K row-major in `specimens` order. */
  probabilities: Float64Array;
  tooSmall: TooSmallClass[];
  folds: number;
  seed: number;
}

const cancelled = () => new UserError('unavailable', 'stopped before the audit finished; a re-run reuses the embeddings made so far');

export async function findLabelIssues(
  ctx: ServiceContext,
  params: LabelIssuesParams,
  hooks: RunHooks<LabelIssuesProgress> = {},
  options: LabelIssuesOptions = {},
): Promise<LabelIssuesResult> {
  const started = performance.now();
  const signal = hooks.signal;
  const progress = (p: LabelIssuesProgress) => hooks.onProgress?.(p);
  if (params.model === null) {
    const backbone = options.shippedBackbone ?? defaultWeightsPath();
    if (!fs.existsSync(backbone)) {
      throw new UserError('unavailable', `label-issues needs a backbone to embed the photos: no model was given (--model F.onnx or a model id), and the shipped ViT-Ti is missing (${backbone})`);
    }
  }
  // A cv run, or a catalogue too small for K folds, is refused before any embedding is made for it.
  const run = params.mode === 'cv' ? requireCompletedCvRun(ctx, params.cvRun!) : null;
  // The photos to audit, read once: embedding adds vectors, not photos or labels.
  const all = auditSpecimens(ctx.db);
  if (!run) refuseTooSmall(all, params.folds);

  // Photo groups keep a rock's photos in one fold and out of each other's neighbours; they need the hashes.
  await ensurePhotoHashes(ctx.db, signal ? { signal } : {});
  if (signal?.aborted) throw cancelled();
  const embedded = await ensureEmbeddings(ctx, { model: params.model, device: params.device }, {
    ...(signal ? { signal } : {}),
    onProgress: (p) => progress({ phase: 'embedding', done: p.done, total: p.total }),
  });
  if (embedded.cancelled) throw cancelled();
  const vectors = new Map(getEmbeddings(ctx.db, embedded.model.sha256).map((e) => [e.specimenId, e.vector]));
  const { groupOf } = photoGroups(ctx.db);
  const groupOfId = (id: number) => groupOf.get(id) ?? id;

  const oof = run ? cvOutOfFold(ctx, run, all) : quickOutOfFoldOf(all, vectors, groupOfId, params, signal, progress);
  progress({ phase: 'auditing', done: 0, total: 1 });
  const classIndex = new Map(oof.classes.map((c, i) => [c, i]));
  const cl = confidentLearning(
    { labels: Int32Array.from(oof.specimens, (s) => classIndex.get(s.label!)!), probabilities: oof.probabilities, classes: oof.classes.length },
    { rankBy: params.rankBy },
  );

  // Evidence: the nearest labeled photos of other rocks, whatever their class (also the too-small classes').
  const labeledItems = all.filter((s) => s.label !== null && vectors.has(s.id)).map((s) => ({ s, item: { id: s.id, group: groupOfId(s.id), vector: vectors.get(s.id)! } }));
  const issueItems: EmbeddedItem[] = cl.issues.map((i) => {
    const s = oof.specimens[i.index]!;
    const vector = vectors.get(s.id);
    return { id: s.id, group: groupOfId(s.id), vector: vector ?? new Float32Array(embedded.model.dim ?? 0) };
  });
  const neighbours = nearestNeighbours(issueItems, labeledItems.map((l) => l.item), EVIDENCE_NEIGHBOURS);
  const K = oof.classes.length;
  const issues: LabelIssueItem[] = cl.issues.map((issue, rank) => {
    const s = oof.specimens[issue.index]!;
    return {
      id: s.id,
      sha256: s.sha256,
      path: s.path,
      label: oof.classes[issue.given]!,
      suggested: oof.classes[issue.suggested]!,
      label_probability: issue.labelProbability,
      score: issue.score,
      rank: rank + 1,
      probabilities: Object.fromEntries(oof.classes.map((c, j) => [c, oof.probabilities[issue.index * K + j]!])),
      // An issue from a cv run may lack a vector (a photo unreadable to the backbone): then no neighbours.
      neighbours: vectors.has(s.id)
        ? neighbours[rank]!.map((n) => {
            const other = labeledItems[n.index]!.s;
            return { id: other.id, sha256: other.sha256, path: other.path, label: other.label!, distance: n.distance };
          })
        : [],
    };
  });

  // Outliers: every photo with a vector, labeled or not.
  const scoredForOutliers = all.filter((s) => vectors.has(s.id));
  const scores = outlierScores(
    scoredForOutliers.map((s) => ({ id: s.id, group: groupOfId(s.id), vector: vectors.get(s.id)! })),
    params.outlierK,
  );
  const threshold = outlierThreshold(scores);
  const outliers = scoredForOutliers
    .map((s, i) => ({ id: s.id, sha256: s.sha256, path: s.path, label: s.label, score: scores[i]! }))
    .filter((o) => o.score > threshold)
    .sort((a, b) => b.score - a.score || a.id - b.id);
  progress({ phase: 'auditing', done: 1, total: 1 });

  const labeledCount = all.filter((s) => s.label !== null).length;
  const tooSmallCount = oof.tooSmall.reduce((a, t) => a + t.specimens, 0);
  return {
    mode: params.mode,
    specimens_scored: oof.specimens.length,
    estimated_noise_rate: cl.noiseRate,
    noise_matrix: cl.noiseMatrix,
    issues,
    outliers,
    classes: oof.classes,
    rank_by: params.rankBy,
    thresholds: Object.fromEntries(oof.classes.map((c, j) => [c, cl.thresholds[j]!])),
    confident_joint: cl.confidentJoint,
    calibrated_joint: cl.calibratedJoint,
    too_small: oof.tooSmall,
    source: { folds: oof.folds, seed: oof.seed, cv_run: run?.name ?? null, embedding_model: { sha256: embedded.model.sha256, name: embedded.model.name } },
    unscored: labeledCount - oof.specimens.length - tooSmallCount,
    outlier_threshold: threshold,
    outlier_k: params.outlierK,
    outliers_scored: scoredForOutliers.length,
    embedding_errors: embedded.errors,
    seconds: (performance.now() - started) / 1000,
  };
}

function quickOutOfFoldOf(
  all: readonly AuditSpecimen[],
  vectors: ReadonlyMap<number, Float32Array>,
  groupOfId: (id: number) => number,
  params: LabelIssuesParams,
  signal: AbortSignal | undefined,
  progress: (p: LabelIssuesProgress) => void,
): OutOfFold {
  const byId = new Map(all.map((s) => [s.id, s]));
  const input: QuickSpecimen[] = all
    .filter((s) => s.label !== null && vectors.has(s.id))
    .map((s) => ({ id: s.id, sha256: s.sha256, class: s.label!, group: groupOfId(s.id), vector: vectors.get(s.id)! }));
  const plan = planQuickFolds(input, params.folds, params.seed);
  if (plan.classes.length < 2) throw tooSmallError(plan.classes, plan.tooSmall, params.folds, 'rocks');
  progress({ phase: 'fitting', done: 0, total: params.folds });
  const result = quickOutOfFold(plan, params.folds, {
    ...(signal ? { signal } : {}),
    onFold: (done) => progress({ phase: 'fitting', done, total: params.folds }),
  });
  if (result === null) throw cancelled();
  return { classes: result.classes, specimens: result.specimens.map((s) => byId.get(s.id)!), probabilities: result.probabilities, tooSmall: result.tooSmall, folds: params.folds, seed: params.seed };
}

function tooSmallError(audited: readonly string[], tooSmall: readonly TooSmallClass[], folds: number, unit: 'rocks' | 'photos'): UserError {
  const small = tooSmall.map((t) => `"${t.class}" (${t.specimens} photos${unit === 'rocks' ? ` of ${t.groups} ${t.groups === 1 ? 'rock' : 'rocks'}` : ''})`).join(', ');
  return new UserError(
    'invalid-input',
    `an audit needs labeled photos of at least ${folds} rocks (photo groups) in each of two classes, one held out per fold; ` +
      (audited.length === 1 ? `only "${audited[0]}" has them` : 'no class has them') +
      (small ? `; too small: ${small}` : '') +
      (folds > 2 ? '; fewer --folds audit smaller classes' : ''),
  );
}

/** A class has at most as many rocks as photos: when fewer than two classes have K photos, no grouping can help. */
function refuseTooSmall(all: readonly AuditSpecimen[], folds: number): void {
  const counts = new Map<string, number>();
  for (const s of all) if (s.label !== null) counts.set(s.label, (counts.get(s.label) ?? 0) + 1);
  const audited = [...counts].filter(([, n]) => n >= folds).map(([c]) => c);
  if (audited.length >= 2) return;
  const tooSmall = [...counts]
    .filter(([, n]) => n < folds)
    .map(([c, n]) => ({ class: c, specimens: n, groups: n }))
    .sort((a, b) => a.class.localeCompare(b.class));
  throw tooSmallError(audited.sort(), tooSmall, folds, 'photos');
}

function requireCompletedCvRun(ctx: ServiceContext, ref: string): CvRunRecord {
  const runs = cvRuns(ctx.db);
  const run = runs.find((r) => r.name === ref) ?? (/^\d+$/.test(ref) ? runs.find((r) => r.id === Number(ref)) : undefined);
  if (!run) {
    throw new UserError('not-found', `no cross-validation run "${ref}" in this catalogue${runs.length ? `; its runs: ${runs.map((r) => `${r.name} (id ${r.id})`).join(', ')}` : ' (orelab cv makes one)'}`);
  }
  if (run.status !== 'completed') throw new UserError('invalid-input', `cross-validation run "${run.name}" is ${run.status}: finish it (run the same orelab cv command again) before auditing its predictions`);
  return run;
}

/**
 * A cv run's out-of-fold probabilities for the specimens whose current label is one of its classes (a specimen
 * labeled since with a class the run did not have, or not predicted by it, is not scored).
 */
function cvOutOfFold(ctx: ServiceContext, run: CvRunRecord, all: readonly AuditSpecimen[]): OutOfFold {
  const classes = run.classes;
  const byId = new Map(all.map((s) => [s.id, s]));
  const specimens: AuditSpecimen[] = [];
  const rows: number[][] = [];
  for (const p of outOfFoldPredictions(ctx.db, run.id)) {
    const s = byId.get(p.specimenId);
    if (!s || s.label === null || !classes.includes(s.label) || p.probabilities.length !== classes.length) continue;
    specimens.push(s);
    rows.push(p.probabilities);
  }
  if (specimens.length === 0) throw new UserError('invalid-input', `cross-validation run "${run.name}" has no out-of-fold prediction of a specimen labeled with one of its classes`);
  const seed = typeof run.config.foldSeed === 'number' ? run.config.foldSeed : 0;
  return { classes, specimens, probabilities: Float64Array.from(rows.flat()), tooSmall: [], folds: run.folds, seed };
}
