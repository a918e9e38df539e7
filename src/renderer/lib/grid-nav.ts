// Keyboard movement in a grid of `total` items laid out in `columns` columns. Pure, so it is tested in Node.

export const NAV_KEYS = ['ArrowLeft', 'ArrowRight', 'ArrowUp', 'ArrowDown', 'Home', 'End', 'PageUp', 'PageDown'] as const;
export type NavKey = (typeof NAV_KEYS)[number];

export function isNavKey(key: string): key is NavKey {
  return (NAV_KEYS as readonly string[]).includes(key);
}

/** The index the cursor moves to; null if the grid is empty. Moves stop at the edges. */
export function moveCursor(cursor: number | null, key: NavKey, columns: number, total: number, pageRows = 4): number | null {
  if (total <= 0) return null;
  const cols = Math.max(1, columns);
  if (cursor === null) return key === 'End' ? total - 1 : 0;
  const at = Math.min(Math.max(cursor, 0), total - 1);
  const clamp = (i: number) => Math.min(Math.max(i, 0), total - 1);
  switch (key) {
    case 'ArrowLeft':
      return clamp(at - 1);
    case 'ArrowRight':
      return clamp(at + 1);
    case 'ArrowUp':
      return at - cols >= 0 ? at - cols : at;
    case 'ArrowDown':
      return at + cols < total ? at + cols : Math.floor(at / cols) < Math.floor((total - 1) / cols) ? total - 1 : at;
    case 'Home':
      return 0;
    case 'End':
      return total - 1;
    case 'PageUp':
      return clamp(at - cols * pageRows);
    case 'PageDown':
      return clamp(at + cols * pageRows);
  }
}

/**
 * Where the cursor is once the grid has the keyboard focus (a Tab, or a page focusing it): where it was, kept on
 * the list, else the first item; null when the grid is empty. No arrow key is needed to start.
 */
export function entryCursor(cursor: number | null, total: number): number | null {
  if (total <= 0) return null;
  if (cursor === null) return 0;
  return Math.min(Math.max(cursor, 0), total - 1);
}

/** Digit keys 1..9 pick the class at that position in the list; 0 clears the label. undefined: not a class key. */
export function classForDigit<T>(key: string, classes: readonly T[]): T | null | undefined {
  if (!/^[0-9]$/.test(key)) return undefined;
  if (key === '0') return null;
  return classes[Number(key) - 1];
}
