// Class weights for imbalanced training. Pure functions over per-class counts.

/**
 * The paper's inverse-frequency weight W_i = N / (C * n_i): N samples, C classes, n_i samples of class i.
 * A class with no samples gets weight 0 (it cannot contribute to the loss anyway).
 */
export function inverseFrequencyWeights(counts: readonly number[]): number[] {
  const total = counts.reduce((a, b) => a + b, 0);
  const classes = counts.length;
  return counts.map((n) => (n > 0 ? total / (classes * n) : 0));
}

/**
 * Effective-number weights (Cui et al., CVPR 2019): E_n = (1 - beta^n) / (1 - beta), w_i ∝ 1 / E_{n_i},
 * normalised so that the weights of the classes present sum to the number of those classes.
 */
export function effectiveNumberWeights(counts: readonly number[], beta: number): number[] {
  if (!(beta >= 0 && beta < 1)) throw new RangeError(`beta must be in [0, 1), got ${beta}`);
  const raw = counts.map((n) => (n > 0 ? (1 - beta) / (1 - Math.pow(beta, n)) : 0));
  const present = counts.filter((n) => n > 0).length;
  const sum = raw.reduce((a, b) => a + b, 0);
  return sum > 0 ? raw.map((w) => (w * present) / sum) : raw;
}

export const DEFAULT_EFFECTIVE_BETA = 0.99;

export type WeightStrategy = 'inverse' | 'effective' | 'none';

export function classWeights(counts: readonly number[], strategy: WeightStrategy, beta = DEFAULT_EFFECTIVE_BETA): number[] {
  switch (strategy) {
    case 'inverse':
      return inverseFrequencyWeights(counts);
    case 'effective':
      return effectiveNumberWeights(counts, beta);
    case 'none':
      return counts.map(() => 1);
  }
}
