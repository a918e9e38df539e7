// Colours for the CBAM gate overlay: the factor the model multiplies each pixel by, on a FIXED diverging scale
// centred on 1 (issue 13, "An honest overlay"). The map used to be min–max stretched, so a gate that moves the
// image by ±0.5% was drawn as a vivid heat map: a geologist read noise as "where the model looked". Here 1 (no
// change) is fully transparent, below 1 (the pixel is dimmed) a dark blue tint, above 1 (brightened) a warm one,
// and the tint grows linearly up to the ends of the scale, beyond which it is clamped. Pure: tested in Node.

/** The ends of the fixed scale: a gate of 0.5 halves the pixel, 1.5 raises it by half. Clamped beyond. */
export const GATE_SCALE_MIN = 0.5;
export const GATE_SCALE_MAX = 1.5;
/** Within this distance of 1 everywhere, the gate leaves the photo almost unchanged (said in words). */
export const NEAR_UNITY = 0.02;

/** The tint for a dimmed pixel (blue-black) and for a brightened one (amber). */
export const DIM_RGB: readonly [number, number, number] = [20, 40, 140];
export const BRIGHT_RGB: readonly [number, number, number] = [255, 160, 20];
/** The tint's alpha at the ends of the scale: the photo still shows through a little. */
export const MAX_ALPHA = 0.85;

/** Where a gate value sits on the fixed scale: −1 at 0.5 and below, 0 at 1, +1 at 1.5 and above. */
export function gatePosition(g: number): number {
  if (!Number.isFinite(g)) return 0;
  const half = (GATE_SCALE_MAX - GATE_SCALE_MIN) / 2;
  return Math.max(-1, Math.min(1, (g - 1) / half));
}

/** The RGBA colour (channels 0..255) of one gate value. A gate of exactly 1 is fully transparent. */
export function gateColour(g: number): [number, number, number, number] {
  const p = gatePosition(g);
  const [r, gr, b] = p < 0 ? DIM_RGB : BRIGHT_RGB;
  return [r, gr, b, Math.round(Math.abs(p) * MAX_ALPHA * 255)];
}

/** RGBA pixels of a size × size gate map, each value on the fixed scale (never stretched to the map's range). */
export function gatePixels(gate: readonly number[], size: number): Uint8ClampedArray<ArrayBuffer> {
  const rgba = new Uint8ClampedArray(size * size * 4);
  for (let i = 0; i < size * size; i++) rgba.set(gateColour(gate[i] ?? 1), i * 4);
  return rgba;
}

/** The map's actual range (a loop: spreading 50 176 values into Math.min is fragile). [1, 1] when empty. */
export function gateRange(gate: readonly number[]): { min: number; max: number } {
  let min = Infinity;
  let max = -Infinity;
  for (const v of gate) {
    if (v < min) min = v;
    if (v > max) max = v;
  }
  return Number.isFinite(min) && Number.isFinite(max) ? { min, max } : { min: 1, max: 1 };
}

/** True when every value lies within ±2% of 1: CBAM leaves the photo almost unchanged. */
export function nearUnity({ min, max }: { min: number; max: number }): boolean {
  return min >= 1 - NEAR_UNITY && max <= 1 + NEAR_UNITY;
}

/** A gate value for the legend: four decimals, enough to tell 0.9953 from 1.0047. */
export function formatGate(g: number): string {
  return g.toFixed(4);
}

/**
 * The legend's ramp as a CSS gradient, from the same colours as the canvas (so the two cannot disagree); it is
 * drawn over a neutral grey so that the transparent middle reads as "no change".
 */
export function gateLegendGradient(steps = 8): string {
  const stops: string[] = [];
  for (let i = 0; i <= steps; i++) {
    const g = GATE_SCALE_MIN + ((GATE_SCALE_MAX - GATE_SCALE_MIN) * i) / steps;
    const [r, gr, b, a] = gateColour(g);
    stops.push(`rgba(${r}, ${gr}, ${b}, ${(a / 255).toFixed(3)}) ${((100 * i) / steps).toFixed(1)}%`);
  }
  return `linear-gradient(to right, ${stops.join(', ')})`;
}
