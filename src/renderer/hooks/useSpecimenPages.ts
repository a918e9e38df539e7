// Windowed access to the filtered specimen list: the grid says which index range it shows, and only the pages
// covering it are fetched from the main process (specimens.page). A 50k catalogue never sits in the renderer:
// pages far from the view are dropped. After a data change (`version`), visible pages are refetched while the
// old ones stay on screen, so labeling does not flicker.
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import type { SpecimenFilter, SpecimenSummary } from '../../shared/ipc';
import { call, errorMessage } from '../api';

export const PAGE_SIZE = 120;
const MAX_PAGES_KEPT = 40;

export interface SpecimenPages {
  /** Number of specimens matching the filter; null until the first page answers. */
  total: number | null;
  error: string | null;
  get(index: number): SpecimenSummary | undefined;
  /** Makes sure the items [from, to] are (being) loaded. */
  ensure(from: number, to: number): void;
  /** The ids of [from, to] if all are loaded, else null (ask specimens.ids). */
  idsInRange(from: number, to: number): number[] | null;
  filter: SpecimenFilter;
}

interface Store {
  pages: Map<number, { items: SpecimenSummary[]; version: number }>;
  inflight: Map<number, number>;
  total: number | null;
  totalVersion: number;
  range: [number, number];
  error: string | null;
}

const freshStore = (): Store => ({ pages: new Map(), inflight: new Map(), total: null, totalVersion: -1, range: [0, PAGE_SIZE - 1], error: null });

export function useSpecimenPages(filter: SpecimenFilter, version: number): SpecimenPages {
  const filterKey = JSON.stringify(filter);
  // A new filter is a new list: start from nothing.
  // eslint-disable-next-line react-hooks/exhaustive-deps -- filterKey is the reset key, not an input
  const store = useMemo<Store>(() => freshStore(), [filterKey]);
  const stableFilter = useMemo(() => JSON.parse(filterKey) as SpecimenFilter, [filterKey]);
  const versionRef = useRef(version);
  versionRef.current = version;
  const [, setTick] = useState(0);

  const fetchPage = useCallback(
    (page: number) => {
      const v = versionRef.current;
      const have = store.pages.get(page);
      if ((have && have.version >= v) || (store.inflight.get(page) ?? -1) >= v) return;
      store.inflight.set(page, v);
      call('specimens.page', { filter: stableFilter, offset: page * PAGE_SIZE, limit: PAGE_SIZE })
        .then((res) => {
          if (store.inflight.get(page) === v) store.inflight.delete(page);
          const current = store.pages.get(page);
          if (!current || current.version <= v) store.pages.set(page, { items: res.items, version: v });
          if (v >= store.totalVersion) {
            store.total = res.total;
            store.totalVersion = v;
          }
          store.error = null;
          evict(store);
          setTick((t) => t + 1);
        })
        .catch((err: unknown) => {
          store.inflight.delete(page);
          store.error = errorMessage(err);
          setTick((t) => t + 1);
        });
    },
    [store, stableFilter],
  );

  const ensure = useCallback(
    (from: number, to: number) => {
      store.range = [from, to];
      const last = store.total === null ? to : Math.min(to, store.total - 1);
      for (let p = Math.floor(Math.max(0, from) / PAGE_SIZE); p <= Math.floor(Math.max(0, last) / PAGE_SIZE); p++) fetchPage(p);
    },
    [store, fetchPage],
  );

  // First page (to learn the total), and again the visible pages after every data change.
  useEffect(() => {
    fetchPage(0);
    ensure(store.range[0], store.range[1]);
  }, [version, fetchPage, ensure, store]);

  const get = useCallback(
    (index: number) => {
      const page = store.pages.get(Math.floor(index / PAGE_SIZE));
      return page?.items[index % PAGE_SIZE];
    },
    [store],
  );

  const idsInRange = useCallback(
    (from: number, to: number) => {
      const ids: number[] = [];
      for (let i = from; i <= to; i++) {
        const item = get(i);
        if (!item) return null;
        ids.push(item.id);
      }
      return ids;
    },
    [get],
  );

  return { total: store.total, error: store.error, get, ensure, idsInRange, filter: stableFilter };
}

/** Drops the pages farthest from the visible range once more than MAX_PAGES_KEPT are held. */
function evict(store: Store): void {
  if (store.pages.size <= MAX_PAGES_KEPT) return;
  const center = Math.floor((store.range[0] + store.range[1]) / 2 / PAGE_SIZE);
  const far = [...store.pages.keys()].sort((a, b) => Math.abs(b - center) - Math.abs(a - center));
  for (const p of far.slice(0, store.pages.size - MAX_PAGES_KEPT)) store.pages.delete(p);
}
