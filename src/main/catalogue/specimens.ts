import path from 'node:path';
import type { Specimen } from '../../shared/domain';
import { stmt, type Db } from './open';
import { UserError } from '../../shared/errors';

export interface NewSpecimen {
  sha256: string;
  path: string;
  originalName: string;
  byteSize: number;
  format: string;
  width: number;
  height: number;
  exifDate: string | null;
  importedAt: string;
  labelClassId: number | null;
  /** Perceptual hashes (16 hex digits each, images/phash.ts); null when not computed (the backfill fills them). */
  phash?: string | null;
  dhash?: string | null;
}

const SPECIMEN_COLUMNS = `s.id, s.sha256, s.path, s.original_name AS originalName, s.byte_size AS byteSize, s.format,
  s.width, s.height, s.exif_date AS exifDate, s.imported_at AS importedAt, s.sample_code AS sampleCode, s.site,
  s.notes, s.label_class_id AS labelClassId, c.name AS label, s.split, s.flagged, s.excluded_at AS excludedAt,
  s.excluded_reason AS excludedReason`;

type SpecimenRow = Omit<Specimen, 'flagged'> & { flagged: number };

function toSpecimen(row: SpecimenRow): Specimen {
  return { ...row, flagged: row.flagged !== 0 };
}

export function insertSpecimen(db: Db, s: NewSpecimen): number {
  return Number(
    db
      .prepare(
        `INSERT INTO specimens (sha256, path, original_name, byte_size, format, width, height, exif_date, imported_at, label_class_id, phash, dhash)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(s.sha256, s.path, s.originalName, s.byteSize, s.format, s.width, s.height, s.exifDate, s.importedAt, s.labelClassId, s.phash ?? null, s.dhash ?? null)
      .lastInsertRowid,
  );
}

export function getSpecimen(db: Db, id: number): Specimen | undefined {
  const row = stmt(db, `SELECT ${SPECIMEN_COLUMNS} FROM specimens s LEFT JOIN classes c ON c.id = s.label_class_id WHERE s.id = ?`).get(id) as
    | SpecimenRow
    | undefined;
  return row && toSpecimen(row);
}

export function findSpecimenBySha(db: Db, sha256: string): { id: number; label_class_id: number | null } | undefined {
  return stmt(db, 'SELECT id, label_class_id FROM specimens WHERE sha256 = ?').get(sha256) as
    | { id: number; label_class_id: number | null }
    | undefined;
}

export class SpecimenReferenceError extends UserError {
  constructor(message: string) {
    super('not-found', message);
  }
}

/**
 * Resolves what a user typed: a path to a file in the catalogue, or a sha256 prefix of at least 6 hex digits.
 * An ambiguous prefix is an error that says how many specimens it matches.
 */
export function resolveSpecimenRef(db: Db, ref: string): number {
  const byPath = db
    .prepare('SELECT specimen_id AS id FROM files WHERE path = ? UNION SELECT id FROM specimens WHERE path = ?')
    .all(path.resolve(ref), path.resolve(ref)) as { id: number }[];
  if (byPath.length === 1) return byPath[0]!.id;
  if (/^[0-9a-f]{6,64}$/i.test(ref)) {
    const rows = stmt(db, 'SELECT id FROM specimens WHERE sha256 >= ? AND sha256 < ? LIMIT 2').all(ref.toLowerCase(), ref.toLowerCase() + 'g') as {
      id: number;
    }[];
    if (rows.length === 1) return rows[0]!.id;
    if (rows.length > 1) throw new SpecimenReferenceError(`"${ref}" matches more than one specimen; give more of the sha256`);
  }
  throw new SpecimenReferenceError(`"${ref}" is neither a catalogued file nor a sha256 prefix (6+ hex digits) of a specimen`);
}

export function recordFile(db: Db, filePath: string, byteSize: number, mtimeMs: number, specimenId: number): void {
  stmt(db, 
    `INSERT INTO files (path, byte_size, mtime_ms, specimen_id) VALUES (?, ?, ?, ?)
     ON CONFLICT(path) DO UPDATE SET byte_size = excluded.byte_size, mtime_ms = excluded.mtime_ms, specimen_id = excluded.specimen_id`,
  ).run(filePath, byteSize, Math.trunc(mtimeMs), specimenId);
}

/** The specimen a path held when it was last seen, if its size and mtime are unchanged since. */
export function knownFile(db: Db, filePath: string, byteSize: number, mtimeMs: number): { specimen_id: number; label_class_id: number | null } | undefined {
  return db
    .prepare(
      `SELECT f.specimen_id, s.label_class_id FROM files f JOIN specimens s ON s.id = f.specimen_id
        WHERE f.path = ? AND f.byte_size = ? AND f.mtime_ms = ?`,
    )
    .get(filePath, byteSize, Math.trunc(mtimeMs)) as { specimen_id: number; label_class_id: number | null } | undefined;
}

export function putThumbnail(db: Db, specimenId: number, width: number, height: number, jpeg: Buffer): void {
  stmt(db, 'INSERT OR REPLACE INTO thumbnails (specimen_id, width, height, jpeg) VALUES (?, ?, ?, ?)').run(specimenId, width, height, jpeg);
}

export function getThumbnail(db: Db, specimenId: number): Buffer | undefined {
  const row = stmt(db, 'SELECT jpeg FROM thumbnails WHERE specimen_id = ?').get(specimenId) as { jpeg: Buffer } | undefined;
  return row?.jpeg;
}

export interface SpecimenMetadataPatch {
  sampleCode?: string | null;
  site?: string | null;
  notes?: string | null;
  flagged?: boolean;
}

export function updateSpecimenMetadata(db: Db, id: number, patch: SpecimenMetadataPatch): void {
  const columns: [keyof SpecimenMetadataPatch, string][] = [
    ['sampleCode', 'sample_code'],
    ['site', 'site'],
    ['notes', 'notes'],
    ['flagged', 'flagged'],
  ];
  const sets: string[] = [];
  const values: (string | number | null)[] = [];
  for (const [key, column] of columns) {
    const value = patch[key];
    if (value === undefined) continue;
    sets.push(`${column} = ?`);
    values.push(typeof value === 'boolean' ? Number(value) : value);
  }
  if (sets.length === 0) return;
  const info = db.prepare(`UPDATE specimens SET ${sets.join(', ')} WHERE id = ?`).run(...values, id);
  if (info.changes === 0) throw new SpecimenReferenceError(`no specimen with id ${id}`);
}

export function countSpecimens(db: Db): number {
  return (stmt(db, 'SELECT COUNT(*) AS n FROM specimens').get() as { n: number }).n;
}

/** Specimens excluded from training and evaluation (labeled or not). */
export function countExcludedSpecimens(db: Db): number {
  return (stmt(db, 'SELECT COUNT(*) AS n FROM specimens WHERE excluded_at IS NOT NULL').get() as { n: number }).n;
}

/** A specimen's current label (class id), read fresh: an import may have labeled it moments ago. */
export function specimenLabelClassId(db: Db, specimenId: number): number | null {
  const row = stmt(db, 'SELECT label_class_id FROM specimens WHERE id = ?').get(specimenId) as { label_class_id: number | null } | undefined;
  if (!row) throw new SpecimenReferenceError(`no specimen with id ${specimenId}`);
  return row.label_class_id;
}
