// One request over the contract, made again whenever its dependencies change, as component state. Late answers
// are dropped: after unmount, and after the dependencies changed (the answer is to a question no longer asked).
import { useEffect, useState, type DependencyList } from 'react';
import type { RequestChannel, RequestOf, ResponseOf } from '../../shared/ipc';
import { call, errorMessage } from '../api';

export interface RequestState<C extends RequestChannel> {
  /** The newest answer (a new object per answer); null before the first one and while there is no request. */
  data: ResponseOf<C> | null;
  /** Why the last request failed, until one succeeds; `data` meanwhile keeps the answer before the failure. */
  error: string | null;
}

export interface RequestOptions {
  /**
   * Show nothing (no data, no error) while a changed request is under way, for views where the previous answer
   * would pass for the new one. By default the previous answer stays until the new one arrives, so a refetch
   * after a data change does not blank the page.
   */
  clearWhileLoading?: boolean;
}

const NOTHING = { data: null, error: null } as const;

/**
 * `call(channel, request)` whenever `deps` change (the request object is new on every render, so it is not a
 * dependency itself). A null request makes no call and clears the state.
 */
export function useRequest<C extends RequestChannel>(
  channel: C,
  request: RequestOf<C> | null,
  deps: DependencyList,
  { clearWhileLoading = false }: RequestOptions = {},
): RequestState<C> {
  const [state, setState] = useState<RequestState<C>>(NOTHING);
  useEffect(() => {
    if (request === null || clearWhileLoading) setState(NOTHING);
    if (request === null) return;
    let live = true;
    call(channel, request)
      .then((data) => live && setState({ data, error: null }))
      .catch((err: unknown) => live && setState((previous) => ({ data: previous.data, error: errorMessage(err) })));
    return () => {
      live = false;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps -- the caller's deps decide when to ask again (the request object is new on every render; channel and options are fixed per call site)
  }, deps);
  return state;
}
