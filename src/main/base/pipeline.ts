// The one ordered, bounded pipeline: import, classification and the training data loader all need "start
// work on the next items while earlier ones finish, hand results on in source order, never hold more than
// N at once". Order keeps runs reproducible (the same folder gives the same specimen ids and the same
// batches); the bound keeps memory flat on a folder of any size.
//
// Pull-based: the source is read only as results are taken, so a slow consumer (a transaction, a busy
// inference worker) holds the pipeline at `concurrency` items in flight, which keep working meanwhile.

export interface PipelineOptions {
  /** Items started but not yet handed on (at least 1): how far the pipeline may run ahead of its consumer. */
  concurrency: number;
  /**
   * Of those, how many may be inside `work` at once (default: all of them). Classification reads ahead a
   * whole batch while decoding only a few photos at a time, so that libvips leaves the cores to inference.
   */
  running?: number;
  /** When aborted, no further item is started; the ones in flight are still handed on. */
  signal?: AbortSignal;
}

/**
 * Runs `work` over `source`, up to `concurrency` at a time, and yields the results in source order.
 * A rejected `work` rethrows from the generator when its turn comes (the rest in flight are abandoned
 * without an unhandled rejection). Stopping the generator early stops reading the source.
 */
export async function* pipeline<T, U>(
  source: AsyncIterable<T> | Iterable<T>,
  work: (item: T, index: number) => Promise<U>,
  options: PipelineOptions,
): AsyncGenerator<U, void, undefined> {
  const limit = Math.max(1, Math.floor(options.concurrency));
  const runningLimit = Math.max(1, Math.floor(options.running ?? limit));
  const inFlight: Promise<U>[] = [];
  let index = 0;
  let running = 0;
  const waiting: (() => void)[] = [];
  const run = async (item: T, i: number): Promise<U> => {
    while (running >= runningLimit) await new Promise<void>((resolve) => waiting.push(resolve));
    running++;
    try {
      return await work(item, i);
    } finally {
      running--;
      waiting.shift()?.();
    }
  };
  const start = (item: T) => {
    const p = runningLimit >= limit ? work(item, index++) : run(item, index++);
    // Observed later, in order; this only keeps a failure behind the one being awaited from counting as unhandled.
    p.catch(() => undefined);
    inFlight.push(p);
  };
  try {
    for await (const item of source) {
      if (options.signal?.aborted) break;
      start(item);
      if (inFlight.length >= limit) yield await inFlight.shift()!;
    }
    while (inFlight.length) yield await inFlight.shift()!;
  } finally {
    inFlight.length = 0;
  }
}
