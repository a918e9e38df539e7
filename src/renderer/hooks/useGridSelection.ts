// Cursor and selection over a SpecimenPages list. By default the selection follows the cursor (one
// specimen); shift extends a range from the anchor, ctrl/cmd toggles single specimens, select-all takes the
// whole filtered list. Selections hold specimen ids, so they survive refetches; ranges over pages that are
// not loaded ask the main process for the ids.
import { useCallback, useEffect, useMemo, useState } from 'react';
import type { SpecimenPages } from './useSpecimenPages';
import { call, errorMessage } from '../api';

type Mode = { kind: 'cursor' } | { kind: 'ids'; ids: ReadonlySet<number> };

export interface GridSelection {
  cursor: number | null;
  /** Ids of the selected specimens (the cursor's specimen when nothing else is selected). */
  selectedIds: number[];
  isSelected(id: number): boolean;
  /** Keyboard or programmatic move; extend = shift (range from the anchor). */
  moveTo(index: number, extend: boolean): void;
  click(index: number, modifiers: { shift: boolean; toggle: boolean }): void;
  selectAll(): Promise<void>;
  /** Back to the cursor's specimen only. */
  collapse(): void;
  error: string | null;
}

export function useGridSelection(pages: SpecimenPages, multi: boolean): GridSelection {
  const [cursor, setCursor] = useState<number | null>(null);
  const [anchor, setAnchor] = useState<number | null>(null);
  const [mode, setMode] = useState<Mode>({ kind: 'cursor' });
  const [error, setError] = useState<string | null>(null);
  const total = pages.total;

  // The list shrank (labels moved specimens out of the filter): keep the cursor on the list.
  useEffect(() => {
    if (total === null || cursor === null) return;
    if (total === 0) setCursor(null);
    else if (cursor > total - 1) setCursor(total - 1);
  }, [total, cursor]);

  const cursorItem = cursor === null ? undefined : pages.get(cursor);
  const selectedIds = useMemo(() => (mode.kind === 'ids' ? [...mode.ids] : cursorItem ? [cursorItem.id] : []), [mode, cursorItem]);
  const selectedSet = useMemo(() => new Set(selectedIds), [selectedIds]);

  const selectRange = useCallback(
    async (a: number, b: number) => {
      const lo = Math.min(a, b);
      const hi = Math.max(a, b);
      let ids = pages.idsInRange(lo, hi);
      if (!ids) {
        try {
          ids = (await call('specimens.ids', { filter: pages.filter, offset: lo, limit: hi - lo + 1 })).ids;
        } catch (err) {
          setError(errorMessage(err));
          return;
        }
      }
      setMode({ kind: 'ids', ids: new Set(ids) });
    },
    [pages],
  );

  const moveTo = useCallback(
    (index: number, extend: boolean) => {
      setCursor(index);
      if (extend && multi) {
        const from = anchor ?? cursor ?? index;
        setAnchor(from);
        void selectRange(from, index);
      } else {
        setAnchor(index);
        setMode({ kind: 'cursor' });
      }
    },
    [anchor, cursor, multi, selectRange],
  );

  const click = useCallback(
    (index: number, m: { shift: boolean; toggle: boolean }) => {
      if (multi && m.toggle) {
        const item = pages.get(index);
        if (!item) return;
        const next = new Set(selectedSet);
        if (next.has(item.id)) next.delete(item.id);
        else next.add(item.id);
        setCursor(index);
        setAnchor(index);
        setMode({ kind: 'ids', ids: next });
        return;
      }
      moveTo(index, m.shift);
    },
    [multi, pages, selectedSet, moveTo],
  );

  const selectAll = useCallback(async () => {
    if (!multi || !total) return;
    try {
      const { ids } = await call('specimens.ids', { filter: pages.filter, offset: 0, limit: Math.min(total, 200_000) });
      setMode({ kind: 'ids', ids: new Set(ids) });
      if (cursor === null) setCursor(0);
    } catch (err) {
      setError(errorMessage(err));
    }
  }, [multi, total, pages.filter, cursor]);

  const collapse = useCallback(() => setMode({ kind: 'cursor' }), []);
  const isSelected = useCallback((id: number) => selectedSet.has(id), [selectedSet]);

  return { cursor, selectedIds, isSelected, moveTo, click, selectAll, collapse, error };
}
