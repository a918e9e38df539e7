/** A plain-text table with right-aligned numeric columns, for terminal output. */
export function formatTable(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const numeric = header.map((_, i) => rows.length > 0 && rows.every((r) => /^-?[\d.]+%?$/.test(r[i] ?? '')));
  const line = (cells: string[]) =>
    cells.map((c, i) => (numeric[i] ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ').trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n') + '\n';
}

/** A 95% interval for a table or a sentence: "[91.3–97.1%]" as percentages, "[0.812–0.904]" otherwise; "" when absent. */
export function formatInterval(ci: readonly [number, number] | undefined, percent: boolean): string {
  if (!ci) return '';
  return percent ? `[${(100 * ci[0]).toFixed(1)}–${(100 * ci[1]).toFixed(1)}%]` : `[${ci[0].toFixed(3)}–${ci[1].toFixed(3)}]`;
}
