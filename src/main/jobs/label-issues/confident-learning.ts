// Confident learning (Northcutt, Jiang & Chuang, "Confident Learning: Estimating Uncertainty in Dataset Labels",
// JAIR 70, 2021), as the cleanlab library applies it, written from the paper: out-of-fold probabilities and the
// given labels in; per-class thresholds, the confident joint, the noise rates and the label issues out.
//
//   thresholds   t_j = the mean of p̂(j | x) over the specimens labeled j (their mean self-confidence)
//   confident    x counts for the true class j* = argmax of p̂(j | x) over the classes j with p̂(j | x) ≥ t_j
//   joint        C[i][j] = specimens labeled i counted for true class j (rows: given label; columns: true)
//   calibrated   each row scaled to the number of specimens labeled i, then the whole to n, rounded to whole
//                specimens keeping each row's total (largest remainder)
//   noise        Q = C / n, the estimated joint of given and true label; the noise matrix P(given i | true j)
//                = Q[i][j] / Σ_i Q[i][j]; the noise rate = Σ_{i≠j} Q[i][j]
//   issues       prune by noise rate: of the specimens labeled i, the C[i][j] with the largest margin
//                p̂(j | x) − p̂(i | x) are issues, for every j ≠ i (a class keeps at least one specimen);
//                a specimen whose given label is the model's own top class is never an issue
//   ranking      by normalised margin, (p̂(i | x) − max_{j≠i} p̂(j | x) + 1) / 2, lowest (surest) first, or
//                by self-confidence p̂(i | x)
//
// Where the paper leaves a choice, cleanlab's was taken (the 1e-6 slack in the threshold test, the calibration's
// rounding, the self-predicted filter); where cleanlab departs from the paper, the paper was followed: with
// several confident classes, the argmax is taken among the confident classes only.
// test/label-issues/confident-learning.test.ts checks every step against values computed by hand.

export type RankBy = 'normalized-margin' | 'self-confidence';

export interface ConfidentLearningInput {
  /** The given label of each specimen: 0..K−1. */
  labels: Int32Array;
  /** Out-of-fold probabilities, n × K row-major. */
  probabilities: Float64Array;
  classes: number;
}

export interface LabelIssue {
  /** The specimen's index in the input. */
  index: number;
  given: number;
  /** The most probable other class. */
  suggested: number;
  labelProbability: number;
  /** The ranking score: the normalised margin or the self-confidence (lower: more likely wrong). */
  score: number;
}

export interface ConfidentLearningResult {
  /** Per class; NaN for a class no specimen is labeled with. */
  thresholds: number[];
  /** Raw counts: rows = given label, columns = true label. */
  confidentJoint: number[][];
  /** Calibrated to the label counts and to n, whole specimens. */
  calibratedJoint: number[][];
  /** P(given = i | true = j): rows = given, columns = true (each column sums to 1, or 0 for an empty column). */
  noiseMatrix: number[][];
  /** The estimated share of specimens whose given label is not their true one. */
  noiseRate: number;
  /** Ranked, most likely wrong first. */
  issues: LabelIssue[];
}

/** cleanlab's slack on the threshold test: a probability within 1e-6 below the threshold still counts. */
const THRESHOLD_SLACK = 1e-6;

/** Each class's threshold: the mean self-confidence of the specimens labeled with it. */
export function perClassThresholds({ labels, probabilities, classes }: ConfidentLearningInput): number[] {
  const sum = new Array<number>(classes).fill(0);
  const count = new Array<number>(classes).fill(0);
  labels.forEach((label, i) => {
    sum[label]! += probabilities[i * classes + label]!;
    count[label]!++;
  });
  return sum.map((s, k) => (count[k]! > 0 ? s / count[k]! : NaN));
}

/** The uncalibrated confident joint (rows = given label, columns = true label). */
export function confidentJoint(input: ConfidentLearningInput, thresholds: readonly number[]): number[][] {
  const { labels, probabilities, classes } = input;
  const joint = Array.from({ length: classes }, () => new Array<number>(classes).fill(0));
  labels.forEach((label, i) => {
    let best = -1;
    let bestP = -Infinity;
    for (let j = 0; j < classes; j++) {
      const p = probabilities[i * classes + j]!;
      const t = thresholds[j]!;
      // A class nobody is labeled with has no threshold: it cannot be a confident true class.
      if (Number.isNaN(t) || p < t - THRESHOLD_SLACK) continue;
      if (p > bestP) {
        bestP = p;
        best = j;
      }
    }
    if (best >= 0) joint[label]![best]!++;
  });
  return joint;
}

/** Rounds each row to whole numbers keeping its (rounded) total: the largest remainders round up. */
export function roundPreservingRowTotals(matrix: readonly (readonly number[])[]): number[][] {
  return matrix.map((row) => {
    const total = Math.round(row.reduce((a, b) => a + b, 0));
    const floors = row.map((v) => Math.floor(v));
    let missing = total - floors.reduce((a, b) => a + b, 0);
    const order = row.map((v, j) => ({ j, rest: v - Math.floor(v) })).sort((a, b) => b.rest - a.rest || a.j - b.j);
    for (const { j } of order) {
      if (missing <= 0) break;
      floors[j]!++;
      missing--;
    }
    return floors;
  });
}

/** The confident joint calibrated to the label counts (each row) and to n (the whole), in whole specimens. */
export function calibrateJoint(joint: readonly (readonly number[])[], labelCounts: readonly number[]): number[][] {
  const rows = joint.map((row, i) => {
    const sum = row.reduce((a, b) => a + b, 0);
    return row.map((v) => (sum > 0 ? (v / sum) * labelCounts[i]! : 0));
  });
  const total = rows.flat().reduce((a, b) => a + b, 0);
  const n = labelCounts.reduce((a, b) => a + b, 0);
  return roundPreservingRowTotals(rows.map((row) => row.map((v) => (total > 0 ? (v / total) * n : 0))));
}

/** P(given i | true j) from a joint of counts (rows = given, columns = true). */
export function noiseMatrixOf(joint: readonly (readonly number[])[]): number[][] {
  const k = joint.length;
  const columnSums = Array.from({ length: k }, (_, j) => joint.reduce((a, row) => a + row[j]!, 0));
  return joint.map((row) => row.map((v, j) => (columnSums[j]! > 0 ? v / columnSums[j]! : 0)));
}

/** The normalised margin of a specimen: (p[label] − max of the other classes + 1) / 2, in [0, 1]. */
export function normalizedMargin(probabilities: Float64Array, classes: number, index: number, label: number): number {
  const self = probabilities[index * classes + label]!;
  let other = -Infinity;
  for (let j = 0; j < classes; j++) if (j !== label) other = Math.max(other, probabilities[index * classes + j]!);
  return (self - other + 1) / 2;
}

/**
 * Prune by noise rate: for each given class i and each j ≠ i, the calibrated joint's C[i][j] specimens labeled i
 * with the largest margin p[j] − p[i]. A class keeps at least `minPerClass` specimens (cleanlab's
 * min_examples_per_class): at most (its count − minPerClass) are taken from it. Returns the issue mask.
 */
export function pruneByNoiseRate(input: ConfidentLearningInput, calibrated: readonly (readonly number[])[], minPerClass = 1): boolean[] {
  const { labels, probabilities, classes } = input;
  const issue = new Array<boolean>(labels.length).fill(false);
  for (let i = 0; i < classes; i++) {
    const members: number[] = [];
    labels.forEach((label, index) => {
      if (label === i) members.push(index);
    });
    const removable = members.length - minPerClass;
    if (removable <= 0) continue;
    // cleanlab's _keep_at_least_n_per_class with n = minPerClass: when the diagonal is under n, it is raised to n
    // and the other counts of the class are lowered by the same amount in all, evenly.
    const row = [...calibrated[i]!];
    const raise = Math.max(0, minPerClass - row[i]!);
    if (raise > 0) {
      const others = row.filter((v, j) => j !== i && v > 0).length;
      for (let j = 0; j < classes; j++) if (j !== i) row[j] = Math.max(0, row[j]! - raise / Math.max(1, others));
      row[i] = minPerClass;
    }
    const counts = roundPreservingRowTotals([row])[0]!;
    for (let j = 0; j < classes; j++) {
      if (j === i || counts[j]! <= 0) continue;
      const byMargin = members
        .map((index) => ({ index, margin: probabilities[index * classes + j]! - probabilities[index * classes + i]! }))
        .sort((a, b) => b.margin - a.margin || a.index - b.index);
      for (const { index } of byMargin.slice(0, counts[j]!)) issue[index] = true;
    }
  }
  // A specimen the model itself puts in its given class is not an issue, whatever the counts said.
  labels.forEach((label, index) => {
    if (issue[index] && argmax(probabilities, classes, index) === label) issue[index] = false;
  });
  return issue;
}

function argmax(probabilities: Float64Array, classes: number, index: number, skip = -1): number {
  let best = -1;
  for (let j = 0; j < classes; j++) {
    if (j === skip) continue;
    if (best < 0 || probabilities[index * classes + j]! > probabilities[index * classes + best]!) best = j;
  }
  return best;
}

/** The whole method: thresholds, joint, calibration, noise, and the ranked issues. */
export function confidentLearning(input: ConfidentLearningInput, options: { rankBy?: RankBy } = {}): ConfidentLearningResult {
  const { labels, probabilities, classes } = input;
  if (probabilities.length !== labels.length * classes) throw new Error(`${probabilities.length} probabilities for ${labels.length} specimens of ${classes} classes`);
  const labelCounts = new Array<number>(classes).fill(0);
  for (const l of labels) labelCounts[l]!++;
  const thresholds = perClassThresholds(input);
  const joint = confidentJoint(input, thresholds);
  const calibrated = calibrateJoint(joint, labelCounts);
  const n = labels.length;
  const offDiagonal = calibrated.reduce((a, row, i) => a + row.reduce((b, v, j) => b + (i === j ? 0 : v), 0), 0);
  const mask = pruneByNoiseRate(input, calibrated);
  const rankBy = options.rankBy ?? 'normalized-margin';
  const issues: LabelIssue[] = [];
  mask.forEach((isIssue, index) => {
    if (!isIssue) return;
    const given = labels[index]!;
    const labelProbability = probabilities[index * classes + given]!;
    issues.push({
      index,
      given,
      suggested: argmax(probabilities, classes, index, given),
      labelProbability,
      score: rankBy === 'normalized-margin' ? normalizedMargin(probabilities, classes, index, given) : labelProbability,
    });
  });
  issues.sort((a, b) => a.score - b.score || a.index - b.index);
  return {
    thresholds,
    confidentJoint: joint,
    calibratedJoint: calibrated,
    noiseMatrix: noiseMatrixOf(calibrated),
    noiseRate: n > 0 ? offDiagonal / n : 0,
    issues,
  };
}
