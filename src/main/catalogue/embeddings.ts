// Backbone embeddings per model file: one float32 vector per (model file sha256, specimen), written by
// `orelab embed` (jobs/embed) and read by the use cases that compare photos (groups, label issues). A changed
// model file has another sha256, so its vectors are new rows and the old ones are never read for it.
import { stmt, type Db } from './open';

/** A specimen that has no vector yet for a model: what the embed job reads. */
export interface SpecimenToEmbed {
  id: number;
  sha256: string;
  path: string;
}

/** One stored vector. */
export interface StoredEmbedding {
  specimenId: number;
  vector: Float32Array;
}

/** float32 little-endian bytes of a vector (the column's format, whatever the host's byte order). */
function encodeVector(v: Float32Array): Buffer {
  const out = Buffer.alloc(4 * v.length);
  for (let i = 0; i < v.length; i++) out.writeFloatLE(v[i]!, 4 * i);
  return out;
}

function decodeVector(blob: Buffer, dim: number): Float32Array {
  if (blob.length !== 4 * dim) throw new Error(`an embedding of ${blob.length} bytes does not hold ${dim} float32 values`);
  const out = new Float32Array(dim);
  for (let i = 0; i < dim; i++) out[i] = blob.readFloatLE(4 * i);
  return out;
}

/**
 * Stores vectors for a model, in one transaction (all or none: a kill leaves whole rows). A vector already
 * stored for the pair is replaced.
 */
export function putEmbeddings(db: Db, modelSha256: string, rows: readonly StoredEmbedding[]): void {
  const insert = stmt(db, 'INSERT OR REPLACE INTO embeddings (model_sha256, specimen_id, dim, vector) VALUES (?, ?, ?, ?)');
  db.transaction(() => {
    for (const r of rows) insert.run(modelSha256, r.specimenId, r.vector.length, encodeVector(r.vector));
  })();
}

/** Every vector stored for a model, in specimen id order. */
export function getEmbeddings(db: Db, modelSha256: string): StoredEmbedding[] {
  const rows = stmt(db, 'SELECT specimen_id, dim, vector FROM embeddings WHERE model_sha256 = ? ORDER BY specimen_id').all(modelSha256) as {
    specimen_id: number;
    dim: number;
    vector: Buffer;
  }[];
  return rows.map((r) => ({ specimenId: r.specimen_id, vector: decodeVector(r.vector, r.dim) }));
}

/** The specimens (labeled or not) with no vector for a model, in id order. */
export function specimensWithoutEmbedding(db: Db, modelSha256: string): SpecimenToEmbed[] {
  return stmt(
    db,
    `SELECT s.id, s.sha256, s.path FROM specimens s
      WHERE NOT EXISTS (SELECT 1 FROM embeddings e WHERE e.model_sha256 = ? AND e.specimen_id = s.id)
      ORDER BY s.id`,
  ).all(modelSha256) as SpecimenToEmbed[];
}

/** How many specimens have a vector for a model. */
export function embeddingCount(db: Db, modelSha256: string): number {
  return (stmt(db, 'SELECT COUNT(*) AS n FROM embeddings WHERE model_sha256 = ?').get(modelSha256) as { n: number }).n;
}

/** The length of a model's stored vectors, or null when it has none. */
export function storedEmbeddingDim(db: Db, modelSha256: string): number | null {
  const row = stmt(db, 'SELECT dim FROM embeddings WHERE model_sha256 = ? LIMIT 1').get(modelSha256) as { dim: number } | undefined;
  return row?.dim ?? null;
}

/**
 * A fingerprint of a model's stored vectors that changes whenever a row is added, replaced or removed (a replaced
 * row gets a new rowid; a removed one changes the count and sums). What a result computed from them is keyed by.
 */
export function embeddingsVersion(db: Db, modelSha256: string): string {
  const r = stmt(db, 'SELECT COUNT(*) AS n, TOTAL(specimen_id) AS ids, TOTAL(rowid) AS rows, MAX(rowid) AS last FROM embeddings WHERE model_sha256 = ?').get(
    modelSha256,
  ) as { n: number; ids: number; rows: number; last: number | null };
  return `${r.n}:${r.ids}:${r.rows}:${r.last ?? 0}`;
}
