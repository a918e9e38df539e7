import { writeFileAtomicSync } from '../../base/atomic-write';

export type CsvValue = string | number | null | undefined;

/**
 * One RFC 4180 field. Text that a spreadsheet would run as a formula (starting with = + - @, or a tab or
 * carriage return) gets a leading apostrophe, so a file name like "=HYPERLINK(...)" stays text.
 * Numbers are written as numbers.
 */
export function csvField(value: CsvValue): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : '';
  let text = value;
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) || text !== text.trim() ? `"${text.replace(/"/g, '""')}"` : text;
}

export function csvLine(values: readonly CsvValue[]): string {
  return values.map(csvField).join(',') + '\r\n';
}

/** A whole CSV document (UTF-8, CRLF line ends, header first). */
export function csvDocument(header: readonly string[], rows: readonly (readonly CsvValue[])[]): string {
  return csvLine(header) + rows.map(csvLine).join('');
}

/**
 * Writes a CSV file atomically: a kill leaves the previous file or the new one, never half of one. A UTF-8
 * byte-order mark is written first so that spreadsheet programs read non-ASCII file names correctly.
 */
export function writeCsvFile(file: string, header: readonly string[], rows: readonly (readonly CsvValue[])[]): void {
  // A report path is the user's choice: an existing symlink there is refused, not replaced or followed.
  writeFileAtomicSync(file, '\ufeff' + csvDocument(header, rows), { refuseSymlink: true });
}

/** Parses RFC 4180 text (used by tests and by anything reading Orelab's own reports back). */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  const endField = () => {
    row.push(field);
    field = '';
  };
  const endRow = () => {
    endField();
    rows.push(row);
    row = [];
  };
  for (let i = text.charCodeAt(0) === 0xfeff ? 1 : 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c !== '"') field += c;
      else if (text[i + 1] === '"') {
        field += '"';
        i++;
      } else quoted = false;
    } else if (c === '"') quoted = true;
    else if (c === ',') endField();
    else if (c === '\n') endRow();
    else if (c === '\r' && text[i + 1] === '\n') {
      endRow();
      i++;
    } else field += c;
  }
  if (field !== '' || row.length > 0) endRow();
  return rows;
}
