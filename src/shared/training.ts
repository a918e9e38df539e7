// Which checkpoint a training run keeps, and why, from its per-epoch metrics. Pure: the trainer
// (src/main/jobs/train/train.ts, as each epoch ends), the main process (runs.get) and the renderer (live curves of
// a running job) apply the same rule and tell the same story.
import type { EpochMetrics, KeptCheckpoint } from './schemas';
import { TRAIN_DEFAULTS, type KeepRule } from './training-options';

/** An epoch's validation result, as the keep rule sees it. */
export interface KeepCandidate {
  valAccuracy: number;
  valLoss: number;
}

/**
 * Whether an epoch's weights replace the kept ones under `rule`, and why: null when they do not.
 * best-acc: validation accuracy rises, or ties with a lower validation loss. best-loss: validation loss falls,
 * or ties with a higher accuracy. last: every epoch replaces the one before, so the final epoch is kept.
 */
export function keepReason(rule: KeepRule, kept: KeepCandidate | null, e: KeepCandidate): string | null {
  if (!kept) return 'first epoch';
  const pct = (x: number) => `${(100 * x).toFixed(2)}%`;
  switch (rule) {
    case 'best-acc':
      if (e.valAccuracy > kept.valAccuracy) return `validation accuracy rose to ${pct(e.valAccuracy)}`;
      if (e.valAccuracy === kept.valAccuracy && e.valLoss < kept.valLoss) return `validation accuracy tied at ${pct(e.valAccuracy)} with a lower validation loss (${e.valLoss.toFixed(4)})`;
      return null;
    case 'best-loss':
      if (e.valLoss < kept.valLoss) return `validation loss fell to ${e.valLoss.toFixed(4)}`;
      if (e.valLoss === kept.valLoss && e.valAccuracy > kept.valAccuracy) return `validation loss tied at ${e.valLoss.toFixed(4)} with a higher validation accuracy (${pct(e.valAccuracy)})`;
      return null;
    case 'last':
      return 'the run keeps its latest epoch (keep: last)';
  }
}

/**
 * The trainer marks the epochs whose weights it kept (`kept`, by the run's rule); the last kept epoch is the
 * checkpoint in use, and its reason is the rule's, replayed over the kept epochs.
 */
export function keptCheckpoint(epochs: readonly EpochMetrics[], rule: KeepRule = TRAIN_DEFAULTS.keep): KeptCheckpoint | null {
  let kept: KeptCheckpoint | null = null;
  for (const e of epochs) {
    if (!e.kept) continue;
    const accuracy = e.valAccuracy ?? 0;
    const candidate = { valAccuracy: accuracy, valLoss: e.valLoss ?? 0 };
    // The trainer kept this epoch, so the rule gave a reason then; a missing loss (never written by the trainer) reads 0.
    const reason: string = keepReason(rule, kept ? { valAccuracy: kept.valAccuracy, valLoss: kept.valLoss ?? 0 } : null, candidate) ?? 'kept by the trainer';
    kept = { epoch: e.epoch, valAccuracy: accuracy, valLoss: e.valLoss, reason };
  }
  if (kept) {
    const later = epochs.filter((e) => e.epoch > kept!.epoch).length;
    if (later > 0) kept = { ...kept, reason: `${kept.reason}; the ${later} later epoch${later === 1 ? '' : 's'} did not beat it` };
  }
  return kept;
}
