// Adding a photo to the catalogue as import does it (the specimen, its thumbnail, its file record): shared by
// `orelab import` and classification, which imports the photos the catalogue does not know yet.
import path from 'node:path';
import type { Db } from './open';
import { insertSpecimen, putThumbnail, recordFile } from './specimens';
import { nowIso } from './time';

/** A read and decoded photo file (images/decode.ts DecodedImage's fields, flattened with the file's). */
export interface PhotoToAdd {
  path: string;
  sha256: string;
  size: number;
  mtimeMs: number;
  format: string;
  width: number;
  height: number;
  exifDate: string | null;
  thumbnail: { jpeg: Buffer; width: number; height: number };
  /** The thumbnail's perceptual hashes (images/phash.ts); absent or null: left for the hash backfill. */
  hashes?: { phash: string; dhash: string } | null;
}

/** Adds a decoded photo as a new, unlabeled specimen with its thumbnail and file record. Call inside a transaction. */
export function addPhotoSpecimen(db: Db, photo: PhotoToAdd): number {
  const id = insertSpecimen(db, {
    sha256: photo.sha256,
    path: photo.path,
    originalName: path.basename(photo.path),
    byteSize: photo.size,
    format: photo.format,
    width: photo.width,
    height: photo.height,
    exifDate: photo.exifDate,
    importedAt: nowIso(),
    labelClassId: null,
    phash: photo.hashes?.phash ?? null,
    dhash: photo.hashes?.dhash ?? null,
  });
  putThumbnail(db, id, photo.thumbnail.width, photo.thumbnail.height, photo.thumbnail.jpeg);
  recordFile(db, photo.path, photo.size, photo.mtimeMs, id);
  return id;
}
