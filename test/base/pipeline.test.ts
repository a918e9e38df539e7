import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pipeline } from '../../src/main/base/pipeline';

/** A promise resolved by hand: lets a test decide the order in which work finishes (no timers). */
function deferred<T>() {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => ((resolve = res), (reject = rej)));
  return { promise, resolve, reject };
}

test('pipeline: results come in source order even when work finishes out of order', async () => {
  const gates = [0, 1, 2, 3, 4].map(() => deferred<void>());
  const out: number[] = [];
  const run = (async () => {
    for await (const v of pipeline([0, 1, 2, 3, 4], async (x) => (await gates[x]!.promise, x * 10), { concurrency: 5 })) out.push(v);
  })();
  for (const i of [4, 2, 0, 3, 1]) gates[i]!.resolve();
  await run;
  assert.deepEqual(out, [0, 10, 20, 30, 40]);
});

test('pipeline: never more than `concurrency` items started and not yet handed on', async () => {
  let started = 0;
  let taken = 0;
  let maxAhead = 0;
  async function* source() {
    for (let i = 0; i < 50; i++) yield i;
  }
  for await (const _ of pipeline(source(), async (x) => {
    started++;
    maxAhead = Math.max(maxAhead, started - taken);
    await Promise.resolve();
    return x;
  }, { concurrency: 3 })) taken++;
  assert.equal(taken, 50);
  assert.equal(maxAhead, 3);
});

test('pipeline: abort starts nothing new but hands on what is in flight', async () => {
  const controller = new AbortController();
  const out: number[] = [];
  for await (const v of pipeline([0, 1, 2, 3, 4, 5, 6, 7], async (x) => x, { concurrency: 2, signal: controller.signal })) {
    out.push(v);
    if (v === 2) controller.abort();
  }
  // 0..3 were started before the abort was seen (2 in flight when 2 was handed on), nothing after.
  assert.deepEqual(out, [0, 1, 2, 3]);
});

test('pipeline: a failure surfaces in its turn; later failures are not unhandled', async () => {
  const unhandled: unknown[] = [];
  const onUnhandled = (e: unknown) => unhandled.push(e);
  process.on('unhandledRejection', onUnhandled);
  try {
    const out: number[] = [];
    await assert.rejects(
      (async () => {
        for await (const v of pipeline([0, 1, 2, 3], async (x) => {
          if (x >= 1) throw new Error(`bad ${x}`);
          return x;
        }, { concurrency: 4 })) out.push(v);
      })(),
      /bad 1/,
    );
    assert.deepEqual(out, [0]);
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(unhandled, []);
  } finally {
    process.off('unhandledRejection', onUnhandled);
  }
});

test('pipeline: stopping early stops reading the source', async () => {
  let read = 0;
  function* source() {
    for (let i = 0; i < 1000; i++) {
      read++;
      yield i;
    }
  }
  for await (const v of pipeline(source(), async (x) => x, { concurrency: 4 })) if (v === 5) break;
  assert.ok(read <= 10, `read ${read}`);
});

test('pipeline: `running` bounds the work in progress while the read-ahead stays `concurrency`', async () => {
  const gates = Array.from({ length: 8 }, () => deferred<void>());
  let inside = 0;
  let maxInside = 0;
  let started = 0;
  const out: number[] = [];
  const consumer = (async () => {
    for await (const v of pipeline([0, 1, 2, 3, 4, 5, 6, 7], async (x) => {
      started++;
      inside++;
      maxInside = Math.max(maxInside, inside);
      await gates[x]!.promise;
      inside--;
      return x;
    }, { concurrency: 6, running: 2 })) out.push(v);
  })();
  // Let the pipeline fill: six items are read ahead, two of them are inside `work`.
  for (let i = 0; i < 10; i++) await Promise.resolve();
  assert.equal(started, 2);
  // Finishing out of order frees slots for the waiting ones in turn; results keep the source order.
  for (const i of [1, 0, 3, 2, 5, 4, 7, 6]) {
    gates[i]!.resolve();
    for (let k = 0; k < 10; k++) await Promise.resolve();
  }
  await consumer;
  assert.deepEqual(out, [0, 1, 2, 3, 4, 5, 6, 7]);
  assert.equal(maxInside, 2);
});
