// What the Rebalancing page warns about, computed from catalogue statistics. Pure, so the renderer shows
// it and tests check it without a browser.
import type { CatalogueStats } from './domain';

/** Below this many training images a class is too thin to learn (and to weight) reliably. */
export const MIN_TRAINING_IMAGES = 20;

export type RebalanceWarningKind = 'few-training-images' | 'missing-from-split' | 'unassigned' | 'unlabeled' | 'empty-class';

export interface RebalanceWarning {
  kind: RebalanceWarningKind;
  /** The class concerned, if any. */
  className?: string;
  message: string;
}

const plural = (n: number, one: string, many = `${one}s`) => `${n.toLocaleString('en-US')} ${n === 1 ? one : many}`;

export function rebalanceWarnings(stats: CatalogueStats, minTraining = MIN_TRAINING_IMAGES): RebalanceWarning[] {
  const out: RebalanceWarning[] = [];
  const splitsAssigned = stats.splits.train + stats.splits.val + stats.splits.test > 0;
  for (const c of stats.classes) {
    if (c.count === 0) {
      out.push({ kind: 'empty-class', className: c.name, message: `${c.name} has no labeled specimens: it gets weight 0 and cannot be learned.` });
      continue;
    }
    if (splitsAssigned) {
      if (c.splits.train < minTraining) {
        out.push({
          kind: 'few-training-images',
          className: c.name,
          message: `${c.name} has only ${plural(c.splits.train, 'training image')} (fewer than ${minTraining}).`,
        });
      }
      const missing = (['train', 'val', 'test'] as const).filter((s) => c.splits[s] === 0);
      if (missing.length > 0) {
        out.push({ kind: 'missing-from-split', className: c.name, message: `${c.name} is missing from ${missing.join(' and ')}.` });
      }
    } else if (c.count < minTraining) {
      out.push({
        kind: 'few-training-images',
        className: c.name,
        message: `${c.name} has only ${plural(c.count, 'labeled image')}, fewer than ${minTraining} even before a split.`,
      });
    }
  }
  if (stats.splits.unassigned > 0) {
    out.push({
      kind: 'unassigned',
      message: `${plural(stats.splits.unassigned, 'labeled specimen')} ${stats.splits.unassigned === 1 ? 'has' : 'have'} no split yet: assign splits before training.`,
    });
  }
  if (stats.unlabeled > 0) {
    out.push({
      kind: 'unlabeled',
      message: `${plural(stats.unlabeled, 'specimen')} ${stats.unlabeled === 1 ? 'is' : 'are'} unlabeled and will not be used for training.`,
    });
  }
  return out;
}
