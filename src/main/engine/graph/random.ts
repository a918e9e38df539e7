// Seeded pseudo-random numbers (mulberry32 + Box-Muller): deterministic initialisation and test data.
// The uniform stream is base's mulberry32, the same generator the trainer's augmentation uses.
import { mulberry32 } from '../../base/random';

export class Rng {
  private readonly uniform01: () => number;
  private spare: number | null = null;

  constructor(seed: number) {
    this.uniform01 = mulberry32(seed);
  }

  /** Uniform in [0, 1). */
  next(): number {
    return this.uniform01();
  }

  uniform(lo: number, hi: number): number {
    return lo + (hi - lo) * this.next();
  }

  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  normal(): number {
    if (this.spare !== null) {
      const s = this.spare;
      this.spare = null;
      return s;
    }
    let u = 0;
    while (u === 0) u = this.next();
    const v = this.next();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }

  /** Normal(0, std) truncated to [-2, 2] (absolute bounds, as timm's trunc_normal_ with its defaults). */
  truncNormal(std: number, lo = -2, hi = 2): number {
    for (;;) {
      const x = this.normal() * std;
      if (x >= lo && x <= hi) return x;
    }
  }
}
