// Which checkpoint a training run keeps, and why, from its per-epoch metrics. Pure: the main process (runs.get)
// and the renderer (live curves of a running job) tell the same story.
import type { EpochMetrics, KeptCheckpoint } from './schemas';

/**
 * The trainer keeps an epoch's weights when validation accuracy rises, or ties with a lower validation loss
 * (src/main/jobs/train/train.ts marks those epochs `kept`); the last kept epoch is the checkpoint in use.
 */
export function keptCheckpoint(epochs: readonly EpochMetrics[]): KeptCheckpoint | null {
  let kept: KeptCheckpoint | null = null;
  for (const e of epochs) {
    if (!e.kept) continue;
    const accuracy = e.valAccuracy ?? 0;
    const reason: string = !kept
      ? 'first epoch'
      : accuracy > kept.valAccuracy
        ? `validation accuracy rose to ${(100 * accuracy).toFixed(2)}%`
        : `validation accuracy tied at ${(100 * accuracy).toFixed(2)}% with a lower validation loss (${(e.valLoss ?? 0).toFixed(4)})`;
    kept = { epoch: e.epoch, valAccuracy: accuracy, valLoss: e.valLoss, reason };
  }
  if (kept) {
    const later = epochs.filter((e) => e.epoch > kept!.epoch).length;
    if (later > 0) kept = { ...kept, reason: `${kept.reason}; the ${later} later epoch${later === 1 ? '' : 's'} did not beat it` };
  }
  return kept;
}
