// Domain vocabulary shared by the main process, the CLI and the renderer. Pure types and constants.

export const SPLITS = ['train', 'val', 'test'] as const;
export type Split = (typeof SPLITS)[number];

/** Where a label came from: the class folder at import, a person, or a model's prediction accepted by a person. */
export const LABEL_SOURCES = ['folder', 'manual', 'model', 'undo'] as const;
export type LabelSource = (typeof LABEL_SOURCES)[number];

export interface ClassInfo {
  id: number;
  name: string;
  /** Labeled specimens currently in this class. */
  count: number;
}

export interface Specimen {
  id: number;
  sha256: string;
  path: string;
  originalName: string;
  byteSize: number;
  format: string;
  width: number;
  height: number;
  exifDate: string | null;
  importedAt: string;
  sampleCode: string | null;
  site: string | null;
  notes: string | null;
  labelClassId: number | null;
  label: string | null;
  split: Split | null;
  flagged: boolean;
  /** When the photo was excluded from training and evaluation; null while it is included. */
  excludedAt: string | null;
  excludedReason: string | null;
}

export interface LabelChange {
  id: number;
  opId: number;
  specimenId: number;
  from: string | null;
  to: string | null;
  at: string;
  source: LabelSource;
  /** The operation's description ("label 3 as quartz", "keep pyrite for … (review)"). */
  description: string;
  /** An exclusion row (the label unchanged): the photo was excluded or included again; null for a label change. */
  exclusion: 'excluded' | 'included' | null;
}

/** One failed input, named so a user can find it. */
export interface InputError {
  path: string;
  reason: string;
}

export interface ImportSummary {
  folder: string;
  /** Image files seen (by extension). */
  scanned: number;
  /** Specimens added to the catalogue by this run. */
  new: number;
  /** Files whose bytes were already in the catalogue. */
  duplicates: number;
  /** Labels set or changed from class folders by this run. */
  labeled: number;
  /** Files skipped because their extension is not an image type (README, CSV...). */
  skippedNonImage: number;
  errors: InputError[];
  /** Label disagreements (same bytes in two class folders), reported but not fatal. */
  warnings: InputError[];
  /** Catalogue-wide labeled counts per class after the import. */
  classes: Record<string, number>;
  specimensTotal: number;
  seconds: number;
  imagesPerSecond: number;
}

export interface ClassStats {
  name: string;
  count: number;
  share: number;
  /** The paper's inverse-frequency weight W_i = N / (C * n_i). */
  weightInverse: number;
  /** Effective-number weight (Cui et al. 2019), normalised to sum to C. */
  weightEffective: number;
  /** n_max / n_i. */
  imbalanceRatio: number;
  splits: Record<Split, number> & { unassigned: number };
}

export interface CatalogueStats {
  total: number;
  labeled: number;
  unlabeled: number;
  /** Photos excluded from training and evaluation: in `total`, in none of the other counts. */
  excluded: number;
  classCount: number;
  beta: number;
  /** n_max / n_min over classes with at least one specimen. */
  imbalanceRatio: number;
  classes: ClassStats[];
  splits: Record<Split, number> & { unassigned: number };
}
