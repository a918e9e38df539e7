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
