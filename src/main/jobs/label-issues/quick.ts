// The quick mode's out-of-fold probabilities: K-fold cross-validation of a logistic regression on backbone
// embeddings, group-aware (a rock's photos share a fold) and stratified (each class spread over the folds).
// Every specimen's probabilities come from the one model fitted without its fold: neither its photo nor any
// photo of its rock was in that model's training rows, nor in the feature scaling fitted with it.
//
// A class with photos of fewer than K rocks cannot be spread over K folds: it is set aside as too small to
// audit (its specimens are neither scored nor trained on), and the rest are audited.
import { placeGroups } from '../../base/stratify';
import { fitLogistic, matrix, predictProbabilities, type LogisticOptions } from './logistic';

export interface QuickSpecimen {
  id: number;
  sha256: string;
  class: string;
  /** Its photo group (one rock). */
  group: number;
  vector: Float32Array | Float64Array;
}

export interface TooSmallClass {
  class: string;
  specimens: number;
  /** Photo groups (rocks) its specimens are of: fewer than K. */
  groups: number;
}

export interface QuickPlan {
  /** The audited classes, sorted by name: the probabilities' column order. */
  classes: string[];
  /** The audited specimens, in input order. */
  specimens: QuickSpecimen[];
  tooSmall: TooSmallClass[];
  /** The held-out fold of each audited specimen (by id). */
  foldOf: Map<number, number>;
}

export interface QuickResult extends QuickPlan {
  /** n × K row-major, in `specimens` order and `classes` column order. */
  probabilities: Float64Array;
  /** Per fold: the ids the fold's model was fitted on (for the out-of-fold property's test and for provenance). */
  trainedOn: number[][];
  iterations: number[];
}

/**
 * The regression's settings: balanced class weights (the catalogue's classes are uneven, as the classifier's
 * loss weights them), C = 0.01 on standardised features, stopped at a gradient of 1e-4. Chosen on minerals7's
 * shipped ViT-Ti embeddings (804 photos, 5 folds) by what the audit is for, finding flipped labels (bench
 * label-issues' flips, 5%, three seeds): C = 0.003 / 0.01 / 0.03 / 0.1 / 0.3 / 1 gave precision 0.46 / 0.47 /
 * 0.44 / 0.37 / 0.29 / 0.25 at recall 0.80–0.82. A stronger penalty gives fewer overconfident out-of-fold
 * mistakes, so fewer correct labels are pruned; on the clean catalogue the out-of-fold accuracy is 87.4% at
 * C = 0.01 (log-loss 0.50; C = 0.1: 87.1%, log-loss 0.36). A tighter tolerance (1e-6) changed the log-loss in
 * the fourth decimal and doubled the iterations.
 */
export const QUICK_REGRESSION: LogisticOptions = { C: 0.01, classWeight: 'balanced', gradientTolerance: 1e-4, maxIterations: 1000 };

/**
 * The fold of every specimen of the classes with photos of at least K rocks, stratified by class over whole
 * groups (base/stratify.ts, as cross-validation's folds); the other classes are reported too small. A photo
 * group whose members carry different labels goes with the fold of its first member's class placement (groups
 * are indivisible units whatever their labels).
 */
export function planQuickFolds(all: readonly QuickSpecimen[], folds: number, seed: number): QuickPlan {
  if (!Number.isInteger(folds) || folds < 2) throw new Error(`folds must be a whole number of at least 2, got ${folds}`);
  const groupsOfClass = new Map<string, Set<number>>();
  const countOfClass = new Map<string, number>();
  for (const s of all) {
    groupsOfClass.set(s.class, (groupsOfClass.get(s.class) ?? new Set()).add(s.group));
    countOfClass.set(s.class, (countOfClass.get(s.class) ?? 0) + 1);
  }
  const tooSmall: TooSmallClass[] = [...groupsOfClass]
    .filter(([, groups]) => groups.size < folds)
    .map(([name, groups]) => ({ class: name, specimens: countOfClass.get(name)!, groups: groups.size }))
    .sort((a, b) => a.class.localeCompare(b.class));
  const small = new Set(tooSmall.map((t) => t.class));
  const specimens = all.filter((s) => !small.has(s.class));
  const classes = [...new Set(specimens.map((s) => s.class))].sort((a, b) => a.localeCompare(b));

  const foldOfGroup = placeGroups(specimens, new Array<number>(folds).fill(1), seed);
  return { classes, specimens, tooSmall, foldOf: new Map(specimens.map((s) => [s.id, foldOfGroup.get(s.group)!])) };
}

/** Per-feature mean and standard deviation of some rows (a constant feature gets 1: it is centred, not scaled). */
function standardizer(rows: readonly QuickSpecimen[], dim: number): { mean: Float64Array; scale: Float64Array } {
  const mean = new Float64Array(dim);
  const scale = new Float64Array(dim);
  for (const r of rows) for (let j = 0; j < dim; j++) mean[j]! += r.vector[j]!;
  for (let j = 0; j < dim; j++) mean[j]! /= rows.length;
  for (const r of rows) {
    for (let j = 0; j < dim; j++) {
      const d = r.vector[j]! - mean[j]!;
      scale[j]! += d * d;
    }
  }
  for (let j = 0; j < dim; j++) {
    const sd = Math.sqrt(scale[j]! / rows.length);
    scale[j] = sd > 1e-12 ? 1 / sd : 1;
  }
  return { mean, scale };
}

function featureMatrix(rows: readonly QuickSpecimen[], dim: number, z: { mean: Float64Array; scale: Float64Array }) {
  const data = new Float64Array(rows.length * dim);
  rows.forEach((r, i) => {
    for (let j = 0; j < dim; j++) data[i * dim + j] = (r.vector[j]! - z.mean[j]!) * z.scale[j]!;
  });
  return matrix(rows.length, dim, data);
}

/**
 * Out-of-fold probabilities for a plan: for each fold, standardise on the other folds, fit, predict the fold.
 * `onFold` is called after each fold (progress); `signal` stops between folds (then null).
 */
export function quickOutOfFold(
  plan: QuickPlan,
  folds: number,
  options: { regression?: LogisticOptions; signal?: AbortSignal; onFold?: (done: number) => void } = {},
): QuickResult | null {
  const { classes, specimens } = plan;
  const dim = specimens[0]?.vector.length ?? 0;
  const classIndex = new Map(classes.map((c, i) => [c, i]));
  const probabilities = new Float64Array(specimens.length * classes.length);
  const trainedOn: number[][] = [];
  const iterations: number[] = [];
  for (let fold = 0; fold < folds; fold++) {
    if (options.signal?.aborted) return null;
    const train = specimens.filter((s) => plan.foldOf.get(s.id) !== fold);
    const heldIndex = specimens.map((s, i) => (plan.foldOf.get(s.id) === fold ? i : -1)).filter((i) => i >= 0);
    trainedOn.push(train.map((s) => s.id));
    if (heldIndex.length === 0) {
      iterations.push(0);
      continue;
    }
    const z = standardizer(train, dim);
    const model = fitLogistic(featureMatrix(train, dim, z), Int32Array.from(train, (s) => classIndex.get(s.class)!), classes.length, options.regression ?? QUICK_REGRESSION);
    iterations.push(model.iterations);
    const held = featureMatrix(heldIndex.map((i) => specimens[i]!), dim, z);
    const p = predictProbabilities(model, held);
    heldIndex.forEach((row, h) => probabilities.set(p.subarray(h * classes.length, (h + 1) * classes.length), row * classes.length));
    options.onFold?.(fold + 1);
  }
  return { ...plan, probabilities, trainedOn, iterations };
}
