import { UserError } from '../../../shared/errors';
import crypto from 'node:crypto';
import type { Split } from '../../../shared/domain';
import { activeLabeledSpecimens, assignSplits, countUnsplitLabeled, splitLabeledSpecimens, storedSplitSeed, type Db } from '../../catalogue';
import { classListProblem } from '../../../shared/class-name';
import type { DataItem } from './data';

export interface TrainingDataset {
  classes: string[];
  splits: Record<Split, DataItem[]>;
  /** Train-split count per class, in `classes` order. */
  trainCounts: number[];
  /** sha256 over every (photo, class, split): names the data a model was trained on. */
  hash: string;
  /** Labeled specimens that had no split and were assigned now. */
  newlyAssigned: number;
  /** Classes left out because they have no training images. */
  skippedClasses: string[];
}

export class DatasetError extends UserError {
  constructor(message: string) {
    super('invalid-input', message);
  }
}

export interface DatasetOptions {
  splitSeed?: number;
  limitPerClass?: number;
  /**
   * A split of the run's own for each specimen it trains on (a cross-validation fold), in place of the
   * catalogue's: specimens it does not name are left out, and the catalogue's splits are neither read nor made.
   */
  assignment?: ReadonlyMap<number, Split>;
}

/**
 * The labeled catalogue as training data: the stratified split (labeled specimens without one are assigned
 * first, without moving the others) or the given assignment, the classes that have training images, and
 * per-split items.
 */
export function loadTrainingDataset(db: Db, options: DatasetOptions = {}): TrainingDataset {
  const { assignment } = options;
  const unassigned = assignment ? 0 : countUnsplitLabeled(db);
  if (unassigned > 0) assignSplits(db, options.splitSeed ?? storedSplitSeed(db) ?? 0);
  const rows = assignment
    ? activeLabeledSpecimens(db).flatMap((r) => {
        const split = assignment.get(r.id);
        return split ? [{ ...r, split }] : [];
      })
    : splitLabeledSpecimens(db);
  const trainClasses = new Set(rows.filter((r) => r.split === 'train').map((r) => r.class));
  const allClasses = [...new Set(rows.map((r) => r.class))];
  const classes = allClasses.filter((c) => trainClasses.has(c)).sort((a, b) => a.localeCompare(b));
  if (classes.length < 2) {
    throw new DatasetError(
      `training needs labeled photos of at least two classes in the train split; the catalogue has ${classes.length}. Import with --labels-from-folders or label photos first.`,
    );
  }
  // A catalogue made by an older Orelab may hold a name the rule now refuses (e.g. ".." from a rename): the
  // model would carry it and be refused wherever it is loaded, so training stops here and says how to fix it.
  const problem = classListProblem(classes);
  if (problem !== null) {
    throw new DatasetError(`cannot train: ${problem}. Rename the class (orelab classes rename OLD NEW, or merge it) and train again`);
  }
  const index = new Map(classes.map((c, i) => [c, i]));
  const splits: Record<Split, DataItem[]> = { train: [], val: [], test: [] };
  const taken = new Map<string, number>();
  const hash = crypto.createHash('sha256');
  for (const r of rows) {
    const classIndex = index.get(r.class);
    if (classIndex === undefined) continue;
    if (options.limitPerClass !== undefined) {
      const key = `${r.split}:${r.class}`;
      const n = taken.get(key) ?? 0;
      const cap = r.split === 'train' ? options.limitPerClass : Math.max(1, Math.ceil(options.limitPerClass / 4));
      if (n >= cap) continue;
      taken.set(key, n + 1);
    }
    splits[r.split].push({ specimenId: r.id, sha256: r.sha256, path: r.path, classIndex });
    hash.update(`${r.sha256} ${r.class} ${r.split}\n`);
  }
  const trainCounts = classes.map((_, i) => splits.train.filter((it) => it.classIndex === i).length);
  return {
    classes,
    splits,
    trainCounts,
    hash: hash.digest('hex'),
    newlyAssigned: unassigned,
    skippedClasses: allClasses.filter((c) => !trainClasses.has(c)).sort(),
  };
}
