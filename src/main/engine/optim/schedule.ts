// Learning-rate schedule, computed on the host and fed to the train-chunk graph per step.

export interface CosineSchedule {
  /** Peak learning rate (reached at the end of warm-up). */
  baseLr: number;
  /** Total optimizer steps of the run. */
  totalSteps: number;
  /** Linear warm-up steps from ~0 to baseLr (default 0). */
  warmupSteps?: number;
  /** Floor of the cosine (default 0: anneal to zero, as the paper does). */
  minLr?: number;
}

/** The lr for optimizer step `step` (0-based: the update that produces step count step+1). */
export function cosineLr(s: CosineSchedule, step: number): number {
  const warm = s.warmupSteps ?? 0;
  const minLr = s.minLr ?? 0;
  if (step < warm) return (s.baseLr * (step + 1)) / warm;
  const span = Math.max(1, s.totalSteps - warm);
  const progress = Math.min(1, (step - warm) / span);
  return minLr + 0.5 * (s.baseLr - minLr) * (1 + Math.cos(Math.PI * progress));
}

/** lrs for steps [from, from + count). */
export function cosineLrs(s: CosineSchedule, from: number, count: number): Float32Array {
  return Float32Array.from({ length: count }, (_, i) => cosineLr(s, from + i));
}
