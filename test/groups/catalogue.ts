// A catalogue of a few minerals7 photos, imported through the import service, for the groups tests.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { openDatabase, resolveSpecimenRef, type Db } from '../../src/main/catalogue';
import { runImport } from '../../src/main/services/import';
import { MINERALS7, tempDir } from '../helpers/fs';

/** Copies minerals7 photos (`class/file.jpg`) into `folder`, keeping their class folders. */
export function copyMinerals7(folder: string, photos: readonly string[]): void {
  for (const p of photos) {
    fs.mkdirSync(path.join(folder, path.dirname(p)), { recursive: true });
    fs.copyFileSync(path.join(MINERALS7, p), path.join(folder, p));
  }
}

export interface TestCatalogue {
  dir: string;
  folder: string;
  file: string;
  db: Db;
  /** The specimen id of a photo of the folder, by its path under it. */
  id: (photo: string) => number;
}

/** A new catalogue of the photos (and any extra files written beside them), labels from the class folders. */
export async function importedCatalogue(photos: readonly string[], extra: Record<string, Buffer> = {}): Promise<TestCatalogue> {
  const dir = tempDir();
  const folder = path.join(dir, 'photos');
  copyMinerals7(folder, photos);
  for (const [name, bytes] of Object.entries(extra)) fs.writeFileSync(path.join(folder, name), bytes);
  const file = path.join(dir, 'catalogue.sqlite');
  const db = openDatabase(file);
  const result = await runImport({ db }, { folder, labelsFromFolders: true });
  assert.deepEqual(result.errors, []);
  return { dir, folder, file, db, id: (photo) => resolveSpecimenRef(db, path.join(folder, photo)) };
}
