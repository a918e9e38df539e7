// Catalogue rows without photo files, for tests of what the catalogue does with them (labels, splits, groups).
import crypto from 'node:crypto';
import { ensureClass, insertSpecimen, updateSpecimenMetadata, type Db } from '../../src/main/catalogue';

let serial = 0;

export interface SpecimenOptions {
  /** One rock: every new specimen gets this sample code. */
  sampleCode?: string | null;
  /** The same key gives the same hashes (and paths), in any catalogue: for tests that compare two. */
  hashKey?: string;
}

/** `n` new specimens with unique hashes and paths, labeled `className` (null: unlabeled). */
export function addSpecimens(db: Db, className: string | null, n: number, options: SpecimenOptions = {}): number[] {
  const classId = className ? ensureClass(db, className) : null;
  return Array.from({ length: n }, (_, i) => {
    const sha = crypto.createHash('sha256').update(options.hashKey !== undefined ? `${options.hashKey} ${i}` : `specimen ${process.pid} ${serial++}`).digest('hex');
    const id = insertSpecimen(db, {
      sha256: sha,
      path: `/photos/${sha.slice(0, 8)}.jpg`,
      originalName: `${sha.slice(0, 8)}.jpg`,
      byteSize: 1000,
      format: 'jpeg',
      width: 64,
      height: 48,
      exifDate: null,
      importedAt: new Date().toISOString(),
      labelClassId: classId,
    });
    if (options.sampleCode) updateSpecimenMetadata(db, id, { sampleCode: options.sampleCode });
    return id;
  });
}
