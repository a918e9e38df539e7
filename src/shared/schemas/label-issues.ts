// Label issues in the whole catalogue: the params of `orelab label-issues` (and of the app, later), its progress,
// and its JSON result. The result's first keys are the issue's contract ({mode, specimens_scored,
// estimated_noise_rate, noise_matrix, issues, outliers}); the rest are additive evidence and provenance.
import { z } from 'zod';
import { Count, FsPath, InputErrorSchema, Probability } from './common';
import { DEVICES } from '../training-options';

export const LABEL_ISSUE_MODES = ['quick', 'cv'] as const;
export const RANK_BY = ['normalized-margin', 'self-confidence'] as const;

export const LabelIssuesParamsSchema = z
  .object({
    /** quick: a logistic regression on backbone embeddings, K-fold; cv: the out-of-fold predictions of an `orelab cv` run. */
    mode: z.enum(LABEL_ISSUE_MODES).default('quick'),
    /** The cross-validation run (its name, or its id) whose out-of-fold predictions are audited; mode cv only. */
    cvRun: z.string().trim().min(1).max(200).nullable().default(null),
    folds: z.number().int().min(2).max(50).default(5),
    /** Seeds the fold assignment. */
    seed: z.number().int().min(0).max(2 ** 31 - 1).default(0),
    /** The backbone for embeddings: a model file or catalogue model id; null, the shipped ViT-Ti. */
    model: FsPath.nullable().default(null),
    device: z.enum(DEVICES).default('auto'),
    rankBy: z.enum(RANK_BY).default('normalized-margin'),
    /** Neighbours per outlier score (the mean distance to the k nearest photos of other rocks). */
    outlierK: z.number().int().min(1).max(100).default(10),
  })
  .strict()
  .superRefine((p, ctx) => {
    if (p.mode === 'cv' && p.cvRun === null) ctx.addIssue({ code: 'custom', path: ['cvRun'], message: 'mode cv needs the cross-validation run to audit' });
    if (p.mode === 'quick' && p.cvRun !== null) ctx.addIssue({ code: 'custom', path: ['cvRun'], message: 'is for mode cv only' });
  });
export type LabelIssuesParams = z.output<typeof LabelIssuesParamsSchema>;

export const LabelIssuesProgressSchema = z.object({
  phase: z.enum(['embedding', 'fitting', 'auditing']),
  done: Count,
  total: Count,
});
export type LabelIssuesProgress = z.output<typeof LabelIssuesProgressSchema>;

const SpecimenRef = { id: z.number().int().positive(), sha256: z.string(), path: z.string() };

export const NeighbourSchema = z.object({ ...SpecimenRef, label: z.string(), distance: z.number() });

export const LabelIssueSchema = z.object({
  ...SpecimenRef,
  label: z.string(),
  suggested: z.string(),
  label_probability: Probability,
  /** The ranking score: normalised margin or self-confidence (lower: more likely wrong). */
  score: z.number(),
  /** 1-based. */
  rank: z.number().int().positive(),
  /** The out-of-fold probabilities, by class. */
  probabilities: z.record(z.string(), Probability),
  /** The five nearest labeled photos of other rocks in embedding space (cosine distance), nearest first. */
  neighbours: z.array(NeighbourSchema),
});
export type LabelIssueItem = z.output<typeof LabelIssueSchema>;

export const OutlierSchema = z.object({
  ...SpecimenRef,
  /** The mean cosine distance to the k nearest photos of other rocks. */
  score: z.number(),
  label: z.string().nullable(),
});

export const LabelIssuesResultSchema = z.object({
  mode: z.enum(LABEL_ISSUE_MODES),
  /** Labeled specimens given out-of-fold probabilities and audited. */
  specimens_scored: Count,
  /** The calibrated confident joint's off-diagonal share. */
  estimated_noise_rate: z.number().min(0).max(1),
  /** P(given label = row class | true label = column class), in `classes` order. */
  noise_matrix: z.array(z.array(z.number())),
  /** Ranked, most likely wrong first. */
  issues: z.array(LabelIssueSchema),
  /** Photos scored above `outlier_threshold`, most isolated first. */
  outliers: z.array(OutlierSchema),
  classes: z.array(z.string()),
  rank_by: z.enum(RANK_BY),
  thresholds: z.record(z.string(), z.number()),
  /** Counts: rows = given label, columns = the confident true label. */
  confident_joint: z.array(z.array(Count)),
  calibrated_joint: z.array(z.array(Count)),
  /** Classes with photos of fewer rocks than folds: not audited. */
  too_small: z.array(z.object({ class: z.string(), specimens: Count, groups: Count })),
  /** Where the probabilities came from. */
  source: z.object({
    folds: Count,
    seed: z.number().int(),
    cv_run: z.string().nullable(),
    embedding_model: z.object({ sha256: z.string(), name: z.string() }),
  }),
  /** Labeled specimens with no embedding or no out-of-fold prediction (not scored). */
  unscored: Count,
  outlier_threshold: z.number(),
  outlier_k: Count,
  /** Photos given an outlier score (labeled or not). */
  outliers_scored: Count,
  embedding_errors: z.array(InputErrorSchema),
  seconds: z.number().nonnegative(),
});
export type LabelIssuesResult = z.output<typeof LabelIssuesResultSchema>;
