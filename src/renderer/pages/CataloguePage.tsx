// Catalogue: every specimen in a virtualized grid with filters and search; the detail panel shows the one
// under the cursor (click, or arrows in the grid). z undoes a label set here (in the panel), shift+z redoes it.
import { useEffect, useState } from 'react';
import { useApp } from '../app/state';
import { SpecimenGrid } from '../components/SpecimenGrid';
import { FilterBar, EMPTY_FILTER, toSpecimenFilter, usesPredictions, usePredictionModels, type FilterState } from '../components/FilterBar';
import { DetailPanel } from '../components/DetailPanel';
import { useSpecimenPages } from '../hooks/useSpecimenPages';
import { useGridSelection } from '../hooks/useGridSelection';
import { useLabelUndo, type LabelUndo } from '../hooks/useLabelUndo';

export function CataloguePage({ onImport }: { onImport(): void }) {
  const [filter, setFilter] = useState<FilterState>(EMPTY_FILTER);
  const [total, setTotal] = useState<number | null>(null);
  // The page's visit, not the list's: a new filter keeps what z can undo.
  const undo = useLabelUndo();
  return (
    <div className="page page-catalogue">
      <FilterBar value={filter} onChange={setFilter} total={total} idPrefix="catalogue-filter" />
      {/* A new filter is a new list: cursor and scroll start over. */}
      <CatalogueView key={JSON.stringify(toSpecimenFilter(filter))} filter={filter} onTotal={setTotal} onImport={onImport} undo={undo} />
      {undo.dialog}
    </div>
  );
}

function CatalogueView({ filter, onTotal, onImport, undo }: { filter: FilterState; onTotal(n: number | null): void; onImport(): void; undo: LabelUndo }) {
  const { catalogue, version } = useApp();
  const [open, setOpen] = useState(true);
  const pages = useSpecimenPages(toSpecimenFilter(filter), version);
  useEffect(() => onTotal(pages.total), [pages.total, onTotal]);
  const selection = useGridSelection(pages, false);
  const models = usePredictionModels();
  const current = selection.cursor === null ? undefined : pages.get(selection.cursor);

  if (!catalogue) return null;
  const show = (i: number) => {
    selection.moveTo(i, false);
    setOpen(true);
  };
  let empty;
  if (catalogue.specimens === 0) {
    empty = (
      <div className="empty-state">
        <p>This catalogue has no specimens yet.</p>
        <button type="button" className="primary" onClick={onImport}>
          Import a folder…
        </button>
      </div>
    );
  } else if (usesPredictions(filter) && models?.length === 0) {
    empty = <p>No model has classified this catalogue yet, so the prediction filters match nothing. They apply once a model has run.</p>;
  } else {
    empty = <p>No specimens match these filters.</p>;
  }
  return (
      <div className="split-view">
        <SpecimenGrid
          idPrefix="catalogue"
          label="Specimens"
          pages={pages}
          catalogueKey={catalogue.key}
          cursor={selection.cursor}
          isSelected={selection.isSelected}
          onNavigate={show}
          onCellClick={show}
          onKeyDown={(e) => {
            if (e.key === 'Escape') setOpen(false);
            if (e.key === 'Enter' && selection.cursor !== null) setOpen(true);
            if (e.key.toLowerCase() === 'z' && !e.altKey) {
              e.preventDefault();
              void (e.shiftKey ? undo.redoHere() : undo.undoHere());
            }
          }}
          empty={empty}
        />
        {/* The panel keeps its place while open, so clicking a specimen never reflows the grid. */}
        {open && current ? <DetailPanel specimenId={current.id} onClose={() => setOpen(false)} undo={undo} /> : null}
        {open && !current && catalogue.specimens > 0 ? (
          <aside className="detail-panel detail-placeholder" aria-label="Specimen details">
            <p className="muted">Click a specimen, or move with the arrow keys, to see its photo, metadata and label history here.</p>
            <button type="button" className="link" onClick={() => setOpen(false)}>
              Hide this panel
            </button>
          </aside>
        ) : null}
      </div>
  );
}
