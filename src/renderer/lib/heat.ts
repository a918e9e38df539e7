// Colours of the confusion matrix, and the contrast arithmetic behind them (the CBAM overlay's colours are
// lib/gate-colour.ts: a fixed scale centred on no change, never stretched). Pure: tested in Node.

type Rgb = readonly [number, number, number];

/** WCAG 2.x relative luminance of an sRGB colour (0..255 channels). */
export function relativeLuminance([r, g, b]: Rgb): number {
  const lin = (c: number) => {
    const x = c / 255;
    return x <= 0.04045 ? x / 12.92 : ((x + 0.055) / 1.055) ** 2.4;
  };
  return 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b);
}

/** WCAG 2.x contrast ratio of two colours, 1..21. */
export function contrastRatio(a: Rgb, b: Rgb): number {
  const [hi, lo] = [relativeLuminance(a), relativeLuminance(b)].sort((x, y) => y - x) as [number, number];
  return (hi + 0.05) / (lo + 0.05);
}

// The confusion matrix's two hues, of about the same luminance (0.112 and 0.121), so that one ink reads on both
// at any share: the cell's ink (confusionInk) does not know which of the two its cell has.
const RIGHT: Rgb = [26, 107, 69]; // #1a6b45, a dark green: the diagonal
const WRONG: Rgb = [173, 58, 44]; // #ad3a2c, a dark red: the confusions
const WHITE: Rgb = [255, 255, 255];

/** The opaque colour of a cell with this share of its row: from near white (a few) to the full hue (all). */
function confusionRgb(share: number, diagonal: boolean): Rgb {
  const base = diagonal ? RIGHT : WRONG;
  const alpha = 0.12 + 0.88 * Math.min(1, Math.max(0, share));
  return base.map((c, i) => Math.round(WHITE[i]! + alpha * (c - WHITE[i]!))) as [number, number, number];
}

/**
 * Background of a confusion cell: its share of the true class's row, from white to green (the diagonal) or red.
 * Opaque (mixed with the card's white here, not by the browser), so its contrast with the ink is the one computed.
 */
export function confusionShade(count: number, rowTotal: number, diagonal: boolean): string {
  if (count === 0 || rowTotal === 0) return 'transparent';
  const [r, g, b] = confusionRgb(count / rowTotal, diagonal);
  return `rgb(${r}, ${g}, ${b})`;
}

/** The inks a cell may have: the page's text colour (preferred), white, black. */
const INKS: { css: string; rgb: Rgb }[] = [
  { css: 'inherit', rgb: [29, 35, 42] }, // --text, #1d232a
  { css: '#ffffff', rgb: WHITE },
  { css: '#000000', rgb: [0, 0, 0] },
];
/** WCAG 2.1 AA for normal text (1.4.3). */
export const TEXT_CONTRAST = 4.5;

/**
 * The ink of a confusion cell, by computed contrast with its background on either hue: the page's text colour when
 * it reaches 4.5:1 on both, else white or black, whichever has the higher worst case (one of them always reaches
 * 4.5:1 on the two hues: the unit tests go through every share).
 */
export function confusionInk(count: number, rowTotal: number): string {
  if (count === 0 || rowTotal === 0) return 'inherit';
  const backgrounds = [confusionRgb(count / rowTotal, true), confusionRgb(count / rowTotal, false)];
  const worst = (ink: Rgb) => Math.min(...backgrounds.map((bg) => contrastRatio(ink, bg)));
  if (worst(INKS[0]!.rgb) >= TEXT_CONTRAST) return INKS[0]!.css;
  return worst(WHITE) >= worst(INKS[2]!.rgb) ? INKS[1]!.css : INKS[2]!.css;
}

/** The cell's background as channels, for the tests' contrast checks. */
export function confusionBackground(count: number, rowTotal: number, diagonal: boolean): Rgb | null {
  return count === 0 || rowTotal === 0 ? null : confusionRgb(count / rowTotal, diagonal);
}
