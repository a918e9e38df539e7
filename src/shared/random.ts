// Seedable pseudo-random numbers: one implementation for the trainer's augmentation, the engine's
// initialisation (both through src/main/base/random.ts) and the reports' bootstrap intervals (here, since
// src/shared cannot import src/main), so that a seed means the same stream wherever it is used.

/** A small, fast, seedable PRNG (mulberry32): the same seed always gives the same stream, uniform in [0, 1). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Mixes integers into one 32-bit seed (for per-epoch, per-sample streams). */
export function mixSeed(...parts: number[]): number {
  let h = 0x811c9dc5;
  for (const p of parts) {
    h = Math.imul(h ^ (p >>> 0), 0x01000193);
    h = Math.imul(h ^ (h >>> 15), 0x2c1b3c6d);
    h ^= h >>> 12;
  }
  return h >>> 0;
}
