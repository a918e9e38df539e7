// Filters over the catalogue: class (or unlabeled), split, search (sample code, file name, sha prefix), and the prediction filters
// (prediction ≠ label, confidence range) that read the predictions table — empty until a model has run.
import { useEffect, useState } from 'react';
import type { ModelBrief } from '../../shared/ipc';
import { EMPTY_FILTER, type FilterState } from '../lib/filters';

export { EMPTY_FILTER, toSpecimenFilter, usesPredictions, type FilterState } from '../lib/filters';
import { useApp } from '../app/state';
import { useRequest } from '../hooks/useRequest';
import { formatCount } from '../lib/format';

export function usePredictionModels(): ModelBrief[] | null {
  const { catalogue, version } = useApp();
  const { data, error } = useRequest('predictions.models', catalogue ? {} : null, [catalogue, version]);
  // A list that cannot be read counts as empty: the prediction filters then warn that they match nothing yet.
  return error !== null ? [] : (data?.models ?? null);
}

export function FilterBar({ value, onChange, total, idPrefix }: { value: FilterState; onChange(v: FilterState): void; total: number | null; idPrefix: string }) {
  const { classes } = useApp();
  const models = usePredictionModels();
  const [search, setSearch] = useState(value.search);
  // Search as you type, without a request per keystroke.
  useEffect(() => {
    if (search === value.search) return;
    const t = setTimeout(() => onChange({ ...value, search }), 250);
    return () => clearTimeout(t);
  }, [search, value, onChange]);
  const set = (patch: Partial<FilterState>) => onChange({ ...value, ...patch });
  const noModel = models !== null && models.length === 0;
  const id = (name: string) => `${idPrefix}-${name}`;
  const active = JSON.stringify({ ...value, search }) !== JSON.stringify(EMPTY_FILTER);

  return (
    <div className="filter-bar" role="search">
      <label htmlFor={id('class')}>Class</label>
      <select id={id('class')} value={value.classChoice} onChange={(e) => set({ classChoice: e.target.value })}>
        <option value="">All classes</option>
        <option value="unlabeled">Unlabeled</option>
        {(classes ?? []).map((c) => (
          <option key={c.id} value={String(c.id)}>
            {c.name} ({formatCount(c.count)})
          </option>
        ))}
      </select>
      <label htmlFor={id('split')}>Split</label>
      <select id={id('split')} value={value.split} onChange={(e) => set({ split: e.target.value as FilterState['split'] })}>
        <option value="">All splits</option>
        <option value="train">Train</option>
        <option value="val">Validation</option>
        <option value="test">Test</option>
        <option value="unassigned">No split</option>
      </select>
      <input
        id={id('search')}
        type="search"
        className="search"
        placeholder="Code, file, sha…"
        aria-label="Search by sample code, file name or sha prefix"
        value={search}
        onChange={(e) => setSearch(e.target.value)}
      />
      <span className="filter-sep" aria-hidden="true" />
      <label className="check" title={noModel ? 'No model has classified this catalogue yet: this filter matches nothing until one has' : undefined}>
        <input type="checkbox" checked={value.mismatch} onChange={(e) => set({ mismatch: e.target.checked })} />
        Prediction ≠ label
      </label>
      <label htmlFor={id('conf-min')} title={noModel ? 'No model has classified this catalogue yet' : 'Confidence of the prediction'}>
        Confidence
      </label>
      <PercentInput id={id('conf-min')} label="Minimum confidence, percent" placeholder="0" value={value.confidenceMin} onChange={(v) => set({ confidenceMin: v })} />
      <span aria-hidden="true">–</span>
      <PercentInput id={id('conf-max')} label="Maximum confidence, percent" placeholder="100" value={value.confidenceMax} onChange={(v) => set({ confidenceMax: v })} />
      <span aria-hidden="true">%</span>
      <span className="spacer" />
      {active ? (
        <button
          type="button"
          className="link"
          onClick={() => {
            setSearch('');
            onChange(EMPTY_FILTER);
          }}
        >
          Clear filters
        </button>
      ) : null}
      <span className="result-count" aria-live="polite">
        {total === null ? '…' : `${formatCount(total)} specimen${total === 1 ? '' : 's'}`}
      </span>
    </div>
  );
}

/** One end of the confidence range: a percentage, kept as typed (toSpecimenFilter reads it). */
function PercentInput({ id, label, placeholder, value, onChange }: { id: string; label: string; placeholder: string; value: string; onChange(v: string): void }) {
  return (
    <input id={id} className="pct" type="number" min={0} max={100} placeholder={placeholder} aria-label={label} value={value} onChange={(e) => onChange(e.target.value)} />
  );
}
