// Colours for heat maps: the CBAM attention overlay and the confusion matrix. Pure: tested in Node.

/** A perceptually even blue → teal → yellow → red ramp (a compact "turbo"-like map), t in [0, 1] → [r, g, b]. */
const STOPS: [number, number, number, number][] = [
  [0, 48, 18, 59],
  [0.25, 40, 140, 230],
  [0.5, 40, 200, 140],
  [0.75, 240, 200, 40],
  [1, 200, 30, 20],
];

export function heatColor(t: number): [number, number, number] {
  const x = Math.min(1, Math.max(0, Number.isFinite(t) ? t : 0));
  for (let i = 1; i < STOPS.length; i++) {
    const [t1, r1, g1, b1] = STOPS[i]!;
    if (x <= t1) {
      const [t0, r0, g0, b0] = STOPS[i - 1]!;
      const f = (x - t0) / (t1 - t0);
      return [Math.round(r0 + f * (r1 - r0)), Math.round(g0 + f * (g1 - g0)), Math.round(b0 + f * (b1 - b0))];
    }
  }
  const last = STOPS[STOPS.length - 1]!;
  return [last[1], last[2], last[3]];
}

/**
 * RGBA pixels of a size × size map, stretched to its own range (a trained CBAM gate often spans only a
 * few hundredths, which would otherwise look flat). Returns the range too, for the legend.
 */
export function attentionPixels(map: readonly number[], size: number): { rgba: Uint8ClampedArray<ArrayBuffer>; min: number; max: number } {
  let min = Infinity;
  let max = -Infinity;
  for (const v of map) {
    if (v < min) min = v;
    if (v > max) max = v;
  }
  const span = max - min > 1e-6 ? max - min : 1;
  const rgba = new Uint8ClampedArray(size * size * 4);
  for (let i = 0; i < size * size; i++) {
    const [r, g, b] = heatColor(((map[i] ?? min) - min) / span);
    rgba.set([r, g, b, 255], i * 4);
  }
  return { rgba, min: Number.isFinite(min) ? min : 0, max: Number.isFinite(max) ? max : 0 };
}

/** Background of a confusion cell: its share of the true class's row, from white to the accent blue. */
export function confusionShade(count: number, rowTotal: number, diagonal: boolean): string {
  if (count === 0 || rowTotal === 0) return 'transparent';
  const share = count / rowTotal;
  const alpha = 0.12 + 0.78 * share;
  return diagonal ? `rgba(31, 122, 77, ${alpha.toFixed(3)})` : `rgba(192, 57, 43, ${alpha.toFixed(3)})`;
}

/** Dark cells get light text. */
export function confusionInk(count: number, rowTotal: number): string {
  return rowTotal > 0 && count / rowTotal > 0.55 ? '#ffffff' : 'inherit';
}
