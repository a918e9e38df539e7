// Labeling, keyboard first: in the grid, 1–9 give the selected specimens the class at that position, 0 clears
// their label, arrows move (shift extends the selection), ctrl/shift+click multi-select, ctrl+A selects the
// whole filtered list, z undoes the last label operation made on this page (shift+z redoes it; the buttons reach
// older changes, after asking). The side panel has the same actions as buttons, and adds, renames and merges
// classes.
import { useCallback, useEffect, useState, type CSSProperties, type FormEvent, type KeyboardEvent } from 'react';
import type { ClassInfo } from '../../shared/domain';
import { useApp } from '../app/state';
import { SpecimenGrid } from '../components/SpecimenGrid';
import { FilterBar, EMPTY_FILTER, toSpecimenFilter, type FilterState } from '../components/FilterBar';
import { useSpecimenPages, type SpecimenPages } from '../hooks/useSpecimenPages';
import { useGridSelection, type GridSelection } from '../hooks/useGridSelection';
import { useLabelUndo, type LabelUndo } from '../hooks/useLabelUndo';
import { UndoButtons } from '../components/UndoButtons';
import { classForDigit } from '../lib/grid-nav';
import { classColor, formatCount, plural } from '../lib/format';
import { call, errorMessage, imageUrl } from '../api';

const GRID_ID = 'labeling-grid';
const focusGrid = () => document.getElementById(GRID_ID)?.focus();

export function LabelingPage() {
  const [filter, setFilter] = useState<FilterState>(EMPTY_FILTER);
  const [total, setTotal] = useState<number | null>(null);
  // Here, not in the view: a new filter is a new view, but the same visit of the page (z still undoes).
  const undo = useLabelUndo();
  return (
    <div className="page page-labeling">
      <FilterBar value={filter} onChange={setFilter} total={total} idPrefix="labeling-filter" />
      <LabelingView key={JSON.stringify(toSpecimenFilter(filter))} filter={filter} onTotal={setTotal} undo={undo} />
      {undo.dialog}
    </div>
  );
}

function LabelingView({ filter, onTotal, undo }: { filter: FilterState; onTotal(n: number | null): void; undo: LabelUndo }) {
  const { catalogue, classes, version, invalidate, notify } = useApp();
  const specimenFilter = toSpecimenFilter(filter);
  const pages = useSpecimenPages(specimenFilter, version);
  const selection = useGridSelection(pages, true);
  useEffect(() => onTotal(pages.total), [pages.total, onTotal]);
  // The grid takes the keyboard once it is drawn, which waits for the classes (on a reload at #/labeling they
  // arrive after the first render).
  const ready = catalogue !== null && classes !== null;
  useEffect(() => {
    if (ready) focusGrid();
  }, [ready]);
  useEffect(() => {
    if (selection.error) notify(selection.error, 'error');
  }, [selection.error, notify]);

  const assign = useCallback(
    async (cls: ClassInfo | null) => {
      const ids = selection.selectedIds;
      if (ids.length === 0) {
        notify('Select specimens first (click, or move with the arrow keys)');
        return;
      }
      try {
        const r = await call('labels.assign', { specimenIds: ids, classId: cls?.id ?? null });
        undo.record(r.opId);
        const what = cls ? `labeled ${cls.name}` : 'unlabeled';
        notify(r.changed === 0 ? `Already ${what}` : `${plural(r.changed, 'specimen')} ${what}`, 'success');
        // One specimen that stays in this list: go on to the next one. One that leaves it: the next slides in.
        const leaves = specimenFilter.unlabeled ? cls !== null : specimenFilter.classIds ? !specimenFilter.classIds.includes(cls?.id ?? -1) : false;
        if (ids.length === 1 && !leaves && selection.cursor !== null && pages.total !== null && selection.cursor < pages.total - 1) {
          selection.moveTo(selection.cursor + 1, false);
        } else selection.collapse();
        invalidate();
      } catch (err) {
        notify(errorMessage(err), 'error');
      }
    },
    [selection, specimenFilter.unlabeled, specimenFilter.classIds, pages.total, notify, invalidate, undo],
  );

  if (!catalogue || !classes) return null;

  const onKeyDown = (e: KeyboardEvent<HTMLDivElement>) => {
    if (e.altKey) return;
    if ((e.ctrlKey || e.metaKey) && e.key.toLowerCase() === 'a') {
      e.preventDefault();
      void selection.selectAll();
      return;
    }
    // z (or ctrl+z) undoes this page's newest change, shift+z redoes what the page undid.
    if (e.key.toLowerCase() === 'z') {
      e.preventDefault();
      void (e.shiftKey ? undo.redoHere() : undo.undoHere());
      return;
    }
    if (e.ctrlKey || e.metaKey) return;
    if (e.key === 'Escape') {
      e.preventDefault();
      selection.collapse();
      return;
    }
    const cls = classForDigit(e.key, classes);
    if (cls !== undefined) {
      e.preventDefault();
      void assign(cls);
    } else if (/^[1-9]$/.test(e.key)) {
      // A digit past the last class: say so, rather than doing nothing.
      e.preventDefault();
      notify(`No class ${e.key}: there ${classes.length === 1 ? 'is 1 class' : `are ${classes.length} classes`} (keys 1–${Math.min(9, classes.length)})`, 'error');
    }
  };

  // A button in the panel does what its key does, and leaves the keyboard in the grid for the next key.
  const fromPanel = (action: () => Promise<void>) => () => {
    void action();
    focusGrid();
  };

  return (
    <div className="split-view">
      <SpecimenGrid
        idPrefix="labeling"
        label="Specimens to label"
        multiSelect
        pages={pages}
        catalogueKey={catalogue.key}
        cursor={selection.cursor}
        isSelected={selection.isSelected}
        onNavigate={selection.moveTo}
        onCellClick={selection.click}
        onKeyDown={onKeyDown}
        empty={<p>No specimens match these filters.</p>}
        gridId={GRID_ID}
      />
      <aside className="side-panel" aria-label="Label tools">
        <CurrentSpecimen pages={pages} selection={selection} catalogueKey={catalogue.key} />
        <section className="panel-section">
          <h2>Assign class</h2>
          <ol className="palette">
            {classes.map((c, i) => (
              <li key={c.id}>
                <button
                  type="button"
                  className="palette-item"
                  onClick={fromPanel(() => assign(c))}
                  aria-keyshortcuts={i < 9 ? String(i + 1) : undefined}
                  data-class={c.name}
                >
                  <kbd>{i < 9 ? i + 1 : ' '}</kbd>
                  <span className="chip" style={{ '--chip': classColor(c.id) } as CSSProperties}><span className="chip-text">{c.name}</span></span>
                  <span className="count">{formatCount(c.count)}</span>
                </button>
              </li>
            ))}
            <li>
              <button type="button" className="palette-item" onClick={fromPanel(() => assign(null))} aria-keyshortcuts="0">
                <kbd>0</kbd>
                <span className="muted">Remove label</span>
              </button>
            </li>
          </ol>
          {classes.length === 0 ? <p className="muted">No classes yet: add one below.</p> : null}
          <UndoButtons undo={undo} after={focusGrid} />
        </section>
        <ManageClasses classes={classes} onOp={undo.record} />
        <section className="panel-section keys">
          <h2>Keys</h2>
          <p>
            <kbd>1</kbd>–<kbd>9</kbd> assign · <kbd>0</kbd> remove label · <kbd>z</kbd> undo · <kbd>Shift</kbd>+<kbd>z</kbd> redo · arrows move · <kbd>Shift</kbd>+arrows extend ·{' '}
            <kbd>Ctrl</kbd>/<kbd>Shift</kbd>+click select several · <kbd>Ctrl</kbd>+<kbd>A</kbd> select all · <kbd>Esc</kbd> one only
          </p>
        </section>
      </aside>
    </div>
  );
}

function CurrentSpecimen({ pages, selection, catalogueKey }: { pages: SpecimenPages; selection: GridSelection; catalogueKey: string }) {
  const item = selection.cursor === null ? undefined : pages.get(selection.cursor);
  const n = selection.selectedIds.length;
  return (
    <section className="panel-section current">
      {item ? (
        <>
          <img className="current-image" src={imageUrl('full', item.id, catalogueKey)} alt={`Photo of ${item.originalName}`} />
          <p className="current-name" title={item.originalName}>
            {item.sampleCode ?? item.originalName} · <span className="muted">{item.label ?? 'unlabeled'}</span>
          </p>
        </>
      ) : (
        <p className="muted">Click a specimen or press an arrow key in the grid.</p>
      )}
      <p className="selection-count" aria-live="polite">
        {n === 0 ? 'Nothing selected' : `${plural(n, 'specimen')} selected`}
      </p>
    </section>
  );
}

function ManageClasses({ classes, onOp }: { classes: ClassInfo[]; /** A merge is an operation of this page: z undoes it (after asking). */ onOp(opId: number): void }) {
  const { invalidate, notify } = useApp();
  const [newName, setNewName] = useState('');
  const [renameId, setRenameId] = useState('');
  const [renameTo, setRenameTo] = useState('');
  const [mergeFrom, setMergeFrom] = useState('');
  const [mergeInto, setMergeInto] = useState('');
  const run = async (action: () => Promise<string>) => {
    try {
      notify(await action(), 'success');
      invalidate();
      return true;
    } catch (err) {
      notify(errorMessage(err), 'error');
      return false;
    }
  };
  const add = async (e: FormEvent) => {
    e.preventDefault();
    if (await run(async () => `Class ${(await call('classes.add', { name: newName })).class.name} added`)) setNewName('');
  };
  const rename = async (e: FormEvent) => {
    e.preventDefault();
    const from = classes.find((c) => String(c.id) === renameId);
    if (!from) return;
    if (await run(async () => `${from.name} renamed to ${(await call('classes.rename', { classId: from.id, name: renameTo })).class.name}`)) setRenameTo('');
  };
  const merge = async (e: FormEvent) => {
    e.preventDefault();
    const from = classes.find((c) => String(c.id) === mergeFrom);
    const into = classes.find((c) => String(c.id) === mergeInto);
    if (!from || !into) return;
    const mergeAndRecord = async () => {
      const r = await call('classes.merge', { fromClassId: from.id, intoClassId: into.id });
      onOp(r.opId);
      return `${from.name} merged into ${into.name}: ${plural(r.moved, 'specimen')} moved (z undoes, after asking)`;
    };
    if (await run(mergeAndRecord)) {
      setMergeFrom('');
      setMergeInto('');
    }
  };
  const options = (exclude?: string) =>
    classes
      .filter((c) => String(c.id) !== exclude)
      .map((c) => (
        <option key={c.id} value={String(c.id)}>
          {c.name} ({formatCount(c.count)})
        </option>
      ));
  return (
    <section className="panel-section manage">
      <h2>Classes</h2>
      <div className="form-caption">Add a class</div>
      <form className="inline-form" onSubmit={(e) => void add(e)} aria-label="Add a class">
        <input aria-label="New class name" placeholder="New class name" value={newName} maxLength={100} onChange={(e) => setNewName(e.target.value)} />
        <button type="submit" disabled={newName.trim() === ''}>
          Add
        </button>
      </form>
      <div className="form-caption">Rename a class</div>
      <form className="inline-form" onSubmit={(e) => void rename(e)} aria-label="Rename a class">
        <select aria-label="Class to rename" value={renameId} onChange={(e) => setRenameId(e.target.value)}>
          <option value="">class…</option>
          {options()}
        </select>
        <input aria-label="New name" placeholder="new name" value={renameTo} maxLength={100} onChange={(e) => setRenameTo(e.target.value)} />
        <button type="submit" disabled={renameId === '' || renameTo.trim() === ''}>
          Rename
        </button>
      </form>
      <div className="form-caption">Merge a class into another (z undoes)</div>
      <form className="inline-form" onSubmit={(e) => void merge(e)} aria-label="Merge classes">
        <select aria-label="Class to merge" value={mergeFrom} onChange={(e) => setMergeFrom(e.target.value)}>
          <option value="">class…</option>
          {options()}
        </select>
        <select aria-label="Merge into" value={mergeInto} onChange={(e) => setMergeInto(e.target.value)}>
          <option value="">into…</option>
          {options(mergeFrom)}
        </select>
        <button type="submit" disabled={mergeFrom === '' || mergeInto === ''}>
          Merge
        </button>
      </form>
    </section>
  );
}
