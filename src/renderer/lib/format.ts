// Small display helpers.

export function formatCount(n: number): string {
  return n.toLocaleString('en-US');
}

export function plural(n: number, one: string, many = `${one}s`): string {
  return `${formatCount(n)} ${n === 1 ? one : many}`;
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 ** 2) return `${(n / 1024).toFixed(0)} KB`;
  if (n < 1024 ** 3) return `${(n / 1024 ** 2).toFixed(1)} MB`;
  return `${(n / 1024 ** 3).toFixed(2)} GB`;
}

export function formatPercent(x: number, digits = 1): string {
  return `${(x * 100).toFixed(digits)}%`;
}

/** "2025-11-25 13:15" in local time, from an ISO timestamp. */
export function formatTime(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}`;
}

export function formatSeconds(s: number): string {
  if (s < 60) return `${s.toFixed(1)} s`;
  const m = Math.floor(s / 60);
  return `${m} min ${Math.round(s - m * 60)} s`;
}

/** Calm, distinguishable colours for class chips and chart bars, stable per class id. */
const CLASS_COLORS = ['#3b7dd8', '#d9822b', '#2f9e6e', '#c0504d', '#8064a2', '#4bacc6', '#b8860b', '#d15f9c', '#6b8e23', '#5a6acf', '#a0522d', '#2a8c8c'];

export function classColor(classId: number | null): string {
  return classId === null ? '#9aa3ad' : CLASS_COLORS[(classId - 1) % CLASS_COLORS.length]!;
}

// Intervals, as every report says them: "94.1% (95% CI 89.0–97.0%)". The words "95% CI" are part of the text,
// so a screen reader says the interval too.

/** A 95% interval [lower, upper]. */
export type Interval = readonly [number, number];

/** How a figure on 0..1 is shown: a proportion in percent (accuracy) or a score with three decimals (F1). */
export type FigureKind = 'percent' | 'decimal';

export function formatFigure(x: number, kind: FigureKind): string {
  return kind === 'percent' ? formatPercent(x) : x.toFixed(3);
}

/** "89.0–97.0%" or "0.850–0.970": the bounds alone, where a heading already says "95% CI". */
export function formatBounds([lo, hi]: Interval, kind: FigureKind): string {
  return kind === 'percent' ? `${(lo * 100).toFixed(1)}–${formatPercent(hi)}` : `${lo.toFixed(3)}–${hi.toFixed(3)}`;
}

/** "95% CI 89.0–97.0%" or "95% CI 0.850–0.970". */
export function formatInterval(ci: Interval, kind: FigureKind): string {
  return `95% CI ${formatBounds(ci, kind)}`;
}

/** "+2.5" / "−1.3" (a true minus sign): a signed figure, for differences. */
export function formatSigned(x: number, digits: number): string {
  const text = Math.abs(x).toFixed(digits);
  return Number(text) === 0 ? text : `${x > 0 ? '+' : '−'}${text}`;
}

/** Whether an interval of a difference contains 0, i.e. "no difference" is still plausible. */
export function intervalContainsZero([lo, hi]: Interval): boolean {
  return lo <= 0 && hi >= 0;
}

/** "p = 0.452", "p = 0.0031", "p < 0.0001". */
export function formatPValue(p: number): string {
  if (p < 0.0001) return 'p < 0.0001';
  return `p = ${p >= 0.01 ? p.toFixed(3) : p.toPrecision(2)}`;
}
