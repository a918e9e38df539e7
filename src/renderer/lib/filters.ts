// The filter bar's state and its translation into the contract's SpecimenFilter. Pure: tested in Node.
import type { SpecimenFilter } from '../../shared/ipc';

export interface FilterState {
  /** '' = all classes, 'unlabeled', or a class id as text. */
  classChoice: string;
  split: '' | 'train' | 'val' | 'test' | 'unassigned';
  search: string;
  mismatch: boolean;
  /** Percent strings as typed; '' = no bound. */
  confidenceMin: string;
  confidenceMax: string;
}

export const EMPTY_FILTER: FilterState = { classChoice: '', split: '', search: '', mismatch: false, confidenceMin: '', confidenceMax: '' };

/** The contract's filter from what the user set; out-of-range numbers are ignored rather than sent. */
export function toSpecimenFilter(f: FilterState): SpecimenFilter {
  const out: SpecimenFilter = {};
  if (f.classChoice === 'unlabeled') out.unlabeled = true;
  else if (f.classChoice !== '') out.classIds = [Number(f.classChoice)];
  if (f.split !== '') out.split = f.split;
  if (f.search.trim() !== '') out.sampleCode = f.search.trim();
  if (f.mismatch) out.mismatch = true;
  const pct = (s: string) => {
    const n = Number(s);
    return s.trim() !== '' && Number.isFinite(n) && n >= 0 && n <= 100 ? n / 100 : undefined;
  };
  const lo = pct(f.confidenceMin);
  const hi = pct(f.confidenceMax);
  if (lo !== undefined) out.confidenceMin = lo;
  if (hi !== undefined) out.confidenceMax = hi;
  return out;
}

export function usesPredictions(f: FilterState): boolean {
  const filter = toSpecimenFilter(f);
  return filter.mismatch === true || filter.confidenceMin !== undefined || filter.confidenceMax !== undefined;
}
