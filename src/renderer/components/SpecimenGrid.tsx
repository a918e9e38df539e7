// The virtualized thumbnail grid: rows are windowed with @tanstack/react-virtual (only the visible rows, plus a
// few, exist in the DOM) and their items come page by page from the main process (useSpecimenPages).
// Keyboard: arrows, Home/End, PageUp/PageDown move the cursor (shift extends); other keys go to onKeyDown. The grid
// taking the focus other than by a click (Tab, or a page focusing it) puts the cursor on the first card, or back
// where it was. A card's accessible name is its visible text (chip, name, prediction) in words, then what its
// badges show (split, flag): nothing visible is left out of it.
import { useEffect, useLayoutEffect, useRef, useState, type CSSProperties, type FocusEvent, type KeyboardEvent, type MouseEvent, type ReactNode, type RefObject } from 'react';
import { useVirtualizer } from '@tanstack/react-virtual';
import type { SpecimenSummary } from '../../shared/ipc';
import type { SpecimenPages } from '../hooks/useSpecimenPages';
import { entryCursor, isNavKey, moveCursor } from '../lib/grid-nav';
import { classColor, formatPercent } from '../lib/format';
import { imageUrl } from '../api';

const MIN_CELL_WIDTH = 148;
const GAP = 10;
const ROW_HEIGHT = 186;

export interface SpecimenGridProps {
  pages: SpecimenPages;
  catalogueKey: string;
  cursor: number | null;
  isSelected(id: number): boolean;
  onNavigate(index: number, extend: boolean): void;
  onCellClick(index: number, modifiers: { shift: boolean; toggle: boolean }): void;
  /** Runs before the grid's own keys; call preventDefault() to take a key. */
  onKeyDown?(event: KeyboardEvent<HTMLDivElement>): void;
  label: string;
  multiSelect?: boolean;
  empty: ReactNode;
  idPrefix: string;
  /** id of the focusable grid element, so a page can give it focus back. */
  gridId?: string;
}

function useWidth(ref: RefObject<HTMLElement | null>): number {
  const [width, setWidth] = useState(0);
  useLayoutEffect(() => {
    const el = ref.current;
    if (!el) return;
    setWidth(el.clientWidth);
    const ro = new ResizeObserver(() => setWidth(el.clientWidth));
    ro.observe(el);
    return () => ro.disconnect();
  }, [ref]);
  return width;
}

export function SpecimenGrid(props: SpecimenGridProps) {
  const { pages, cursor, catalogueKey, idPrefix } = props;
  const scrollRef = useRef<HTMLDivElement>(null);
  const width = useWidth(scrollRef);
  const columns = Math.max(1, Math.floor((width - 2 * GAP + GAP) / (MIN_CELL_WIDTH + GAP)));
  const total = pages.total ?? 0;
  const rowCount = Math.ceil(total / columns);
  const virtualizer = useVirtualizer({
    count: rowCount,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => ROW_HEIGHT,
    overscan: 2,
    paddingStart: GAP,
    paddingEnd: GAP,
  });
  const rows = virtualizer.getVirtualItems();
  const firstRow = rows[0]?.index ?? 0;
  const lastRow = rows[rows.length - 1]?.index ?? 0;
  const visibleRows = Math.max(1, Math.floor((scrollRef.current?.clientHeight ?? ROW_HEIGHT * 3) / ROW_HEIGHT));

  const { ensure } = pages;
  useEffect(() => {
    if (total > 0) ensure(firstRow * columns, Math.min(total - 1, (lastRow + 1) * columns - 1));
  }, [firstRow, lastRow, columns, total, ensure]);

  useEffect(() => {
    if (cursor !== null && rowCount > 0) virtualizer.scrollToIndex(Math.floor(cursor / columns), { align: 'auto' });
  }, [cursor, columns, rowCount, virtualizer]);

  // Focus that comes with a click is the click's: the cell clicked gets the cursor, not the first one first.
  const pointerDown = useRef(false);
  const { onNavigate } = props;
  const enter = () => {
    const at = entryCursor(cursor, total);
    if (at !== null && at !== cursor) onNavigate(at, false);
  };
  const onFocus = (e: FocusEvent<HTMLDivElement>) => {
    const byPointer = pointerDown.current;
    pointerDown.current = false;
    if (e.target === e.currentTarget && !byPointer) enter();
  };
  // Focused before its list arrived (a page focuses its grid on load): the cursor goes in once there are cards.
  useEffect(() => {
    if (cursor === null && total > 0 && scrollRef.current !== null && document.activeElement === scrollRef.current) onNavigate(0, false);
  }, [cursor, total, onNavigate]);

  const onKeyDown = (e: KeyboardEvent<HTMLDivElement>) => {
    props.onKeyDown?.(e);
    if (e.defaultPrevented) return;
    if (isNavKey(e.key)) {
      const next = moveCursor(cursor, e.key, columns, total, visibleRows);
      e.preventDefault();
      if (next !== null) props.onNavigate(next, e.shiftKey);
    }
  };

  const cell = (index: number) => {
    const item = pages.get(index);
    const selected = item ? props.isSelected(item.id) : false;
    const onClick = (e: MouseEvent) => props.onCellClick(index, { shift: e.shiftKey, toggle: e.ctrlKey || e.metaKey });
    return (
      <div
        key={index}
        id={`${idPrefix}-cell-${index}`}
        role="option"
        aria-selected={selected}
        aria-label={item ? undefined : 'loading'}
        className={`cell${selected ? ' selected' : ''}${index === cursor ? ' cursor' : ''}`}
        data-index={index}
        data-specimen-id={item?.id}
        onClick={onClick}
      >
        {/* What the badges say is in the caption's words (Caption), so they are hidden from the accessible name. */}
        <div className="cell-thumb" aria-hidden="true">
          {item ? <img src={imageUrl('thumb', item.id, catalogueKey)} alt="" draggable={false} decoding="async" /> : null}
          {item?.split ? <span className={`split-badge split-${item.split}`}>{item.split}</span> : null}
          {item?.flagged ? <span className="flag-badge" title="flagged for expert review">⚑</span> : null}
          {selected && props.multiSelect ? (
            <span className="check-badge" aria-hidden="true">
              ✓
            </span>
          ) : null}
        </div>
        {item ? <Caption item={item} /> : <div className="cell-caption muted">…</div>}
      </div>
    );
  };

  return (
    <div
      ref={scrollRef}
      id={props.gridId}
      className="grid-scroll"
      tabIndex={0}
      role="listbox"
      aria-label={props.label}
      aria-multiselectable={props.multiSelect ?? false}
      aria-activedescendant={cursor !== null && cursor < total ? `${idPrefix}-cell-${cursor}` : undefined}
      onPointerDown={() => (pointerDown.current = true)}
      onPointerUp={() => (pointerDown.current = false)}
      onFocus={onFocus}
      onKeyDown={onKeyDown}
    >
      {pages.total === 0 ? <div className="grid-empty">{props.empty}</div> : null}
      {pages.error ? <div className="grid-empty error-text">{pages.error}</div> : null}
      <div className="grid-inner" style={{ height: virtualizer.getTotalSize() }}>
        {rows.map((row) => {
          const start = row.index * columns;
          const count = Math.min(columns, total - start);
          return (
            <div
              key={row.key}
              role="presentation"
              className="grid-row"
              style={{
                transform: `translateY(${row.start}px)`,
                height: ROW_HEIGHT - GAP,
                gridTemplateColumns: `repeat(${columns}, minmax(0, 1fr))`,
              }}
            >
              {Array.from({ length: count }, (_, i) => cell(start + i))}
            </div>
          );
        })}
      </div>
    </div>
  );
}

/**
 * The caption: the label chip, the sample code (else the file name), and the model's prediction, "→ chrysocolla 59%"
 * where it disagrees with the label, else "59% sure". Words for the screen reader stand beside the symbols (the
 * arrow is "predicted"), and the badges over the photo (split, flag) are said last: the accessible name is the
 * visible text, in words.
 */
function Caption({ item }: { item: SpecimenSummary }) {
  const p = item.prediction;
  const disagrees = p !== null && item.label !== null && p.predictedClass.toLowerCase() !== item.label.toLowerCase();
  return (
    <div className="cell-caption">
      <span className="chip" style={{ '--chip': classColor(item.labelClassId) } as CSSProperties}><span className="chip-text">{item.label ?? 'unlabeled'}</span></span>
      <span className="cell-name" title={item.originalName}>
        {item.sampleCode ?? item.originalName}
      </span>
      {p ? (
        <span className={`prediction${disagrees ? ' disagrees' : ''}`} title={`the model predicts ${p.predictedClass}, ${formatPercent(p.confidence, 0)} sure`}>
          {disagrees ? (
            <>
              <span aria-hidden="true">→</span>
              <span className="visually-hidden">predicted</span> {p.predictedClass} {formatPercent(p.confidence, 0)}
            </>
          ) : (
            `${formatPercent(p.confidence, 0)} sure`
          )}
        </span>
      ) : null}
      {item.split ? <span className="visually-hidden">, {item.split} split</span> : null}
      {item.flagged ? <span className="visually-hidden">, flagged for expert review</span> : null}
    </div>
  );
}
