// Photo groups: the specimens that are one rock. A group is a connected set of specimens joined by a shared
// sample code, by near-duplicate photos (perceptual hashes within a Hamming threshold), or by backbone
// embeddings close in cosine (for one model, where both specimens have one), except over a link the user cut.
// Groups are computed on every read, never stored, so they follow the catalogue as it changes (only the costly
// embedding links are remembered, per connection, until the vectors change).
import { stmt, type Db } from './open';
import { embeddingsVersion, getEmbeddings } from './embeddings';
import { nowIso } from './time';
import { UserError } from '../../shared/errors';
import { nearPairs, packedDistance, packHashes } from '../images/hamming';

/**
 * Near-duplicates: pHashes at most 12 bits apart (of 64) and dHashes at most 10. Chosen on minerals7
 * (scripts/near-duplicates.ts; docs/results.md, "Near-duplicate threshold"): of its 322,806 pairs this links
 * exactly 3, each one photograph twice (a copy, a watermarked copy, a recrop at pHash 10, dHash 6), and 195 of 201
 * photos to a copy cropped by 1.5% on every side. pHash ≤ 12 alone links 28 pairs of different rocks (rocks on a
 * white ground, whose dHashes are 12–27 bits apart); dHash ≤ 10 alone, 280 pairs.
 */
export const DEFAULT_MAX_PHASH_DISTANCE = 12;
export const DEFAULT_MAX_DHASH_DISTANCE = 10;
/**
 * Embedding links: cosine at least this. Measured for the shipped pretrained ViT-Ti/16 only (`orelab embed`'s
 * default) on minerals7 (docs/results.md, "Near-duplicate threshold"): its 7 pairs at ≥ 0.93 are each one rock
 * (mirrored, rescaled, restamped copies the hashes miss); below it pairs of different rocks begin. Another
 * model's embeddings need their own measurement. Used by default once the shipped backbone's embeddings exist
 * (groupEmbeddingModel); otherwise only when a model is named.
 */
export const DEFAULT_MIN_EMBEDDING_COSINE = 0.93;

const GROUP_EMBEDDING_SETTING = 'group_embedding_model';

/**
 * The model whose embeddings join near-duplicates by default: recorded when the shipped backbone's embeddings
 * are made (the only embeddings the cosine threshold was measured for), null before.
 */
export function groupEmbeddingModel(db: Db): string | null {
  const row = stmt(db, 'SELECT value FROM settings WHERE key = ?').get(GROUP_EMBEDDING_SETTING) as { value: string } | undefined;
  return row?.value ?? null;
}

export function setGroupEmbeddingModel(db: Db, modelSha256: string): void {
  stmt(db, 'INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value').run(GROUP_EMBEDDING_SETTING, modelSha256);
}

export interface PhotoGroupOptions {
  /**
   * The model file (sha256 of model.onnx, as the embeddings table keys it) whose embeddings also join specimens;
   * default: the catalogue's grouping model (groupEmbeddingModel), if any.
   */
  embeddingModel?: string;
  minEmbeddingCosine?: number;
  maxPhashDistance?: number;
  maxDhashDistance?: number;
}

/** Why two specimens are in one group. */
export type GroupLink =
  | { a: number; b: number; kind: 'sample-code'; sampleCode: string }
  | { a: number; b: number; kind: 'near-duplicate'; phashDistance: number; dhashDistance: number }
  | { a: number; b: number; kind: 'embedding'; cosine: number };

export interface PhotoGroups {
  /** The group of every specimen, named by its smallest (first imported) specimen id; a lone specimen is its own group. */
  groupOf: Map<number, number>;
  /** The groups of two or more specimens, by group id: member ids, ascending. */
  members: Map<number, number[]>;
  /** The links that made the groups (a < b; sample codes chain each member to the code's first specimen), cut links left out. */
  links: GroupLink[];
  /** Specimens with no perceptual hash yet (joined by sample code and embeddings only): run the hash backfill. */
  unhashed: number;
}

/** Union–find over specimen ids; the root is always the smallest id of its set. */
export class DisjointSets {
  private readonly parent = new Map<number, number>();

  find(x: number): number {
    let root = this.parent.get(x) ?? x;
    if (root === x) return x;
    root = this.find(root);
    this.parent.set(x, root);
    return root;
  }

  union(a: number, b: number): void {
    const ra = this.find(a);
    const rb = this.find(b);
    if (ra === rb) return;
    if (ra < rb) this.parent.set(rb, ra);
    else this.parent.set(ra, rb);
  }
}

interface GroupingRow {
  id: number;
  sample_code: string | null;
  phash: string | null;
  dhash: string | null;
}

const normalCode = (code: string | null): string => code?.trim().toLowerCase() ?? '';
const pairKey = (a: number, b: number): number => (a < b ? a * 2 ** 26 + b : b * 2 ** 26 + a);

/** Every specimen's group (see the file's comment). */
export function photoGroups(db: Db, options: PhotoGroupOptions = {}): PhotoGroups {
  const rows = stmt(db, 'SELECT id, sample_code, phash, dhash FROM specimens ORDER BY id').all() as GroupingRow[];
  const cuts = new Set((stmt(db, 'SELECT specimen_a AS a, specimen_b AS b FROM group_cuts').all() as { a: number; b: number }[]).map((c) => pairKey(c.a, c.b)));
  const links = [
    ...sampleCodeLinks(rows),
    ...nearDuplicateLinks(rows, options.maxPhashDistance ?? DEFAULT_MAX_PHASH_DISTANCE, options.maxDhashDistance ?? DEFAULT_MAX_DHASH_DISTANCE),
    ...embeddingLinksOf(db, options),
  ].filter((l) => l.kind === 'sample-code' || !cuts.has(pairKey(l.a, l.b)));
  const sets = new DisjointSets();
  for (const l of links) sets.union(l.a, l.b);
  const groupOf = new Map<number, number>();
  const members = new Map<number, number[]>();
  for (const r of rows) {
    const g = sets.find(r.id);
    groupOf.set(r.id, g);
    const list = members.get(g) ?? [];
    list.push(r.id);
    members.set(g, list);
  }
  for (const [g, list] of members) if (list.length < 2) members.delete(g);
  return { groupOf, members, links, unhashed: rows.filter((r) => r.phash === null || r.dhash === null).length };
}

/**
 * The embedding links last computed per catalogue connection, model and threshold, with the vectors' version they
 * came from. The all-pairs pass is the one costly part of grouping (27 s at 10,000 specimens, see
 * embeddingLinks) and every report, split, audit and comparison groups the catalogue; the vectors change only
 * when `embed` runs, so the links are computed again only then. Hashes and cuts are read fresh every time.
 */
const embeddingLinkMemo = new WeakMap<Db, Map<string, { version: string; links: GroupLink[] }>>();

function embeddingLinksOf(db: Db, options: PhotoGroupOptions): GroupLink[] {
  const model = options.embeddingModel ?? groupEmbeddingModel(db);
  if (!model) return [];
  const minCosine = options.minEmbeddingCosine ?? DEFAULT_MIN_EMBEDDING_COSINE;
  const key = `${model} ${minCosine}`;
  const version = embeddingsVersion(db, model);
  const memo = embeddingLinkMemo.get(db) ?? new Map<string, { version: string; links: GroupLink[] }>();
  embeddingLinkMemo.set(db, memo);
  const hit = memo.get(key);
  if (hit?.version === version) return hit.links;
  const links = embeddingLinks(db, model, minCosine);
  memo.set(key, { version, links });
  return links;
}

/** Each specimen with a sample code linked to the first specimen with the same code (trimmed, any case). */
function sampleCodeLinks(rows: readonly GroupingRow[]): GroupLink[] {
  const first = new Map<string, number>();
  const links: GroupLink[] = [];
  for (const r of rows) {
    const code = normalCode(r.sample_code);
    if (!code) continue;
    const a = first.get(code);
    if (a === undefined) first.set(code, r.id);
    else links.push({ a, b: r.id, kind: 'sample-code', sampleCode: r.sample_code!.trim() });
  }
  return links;
}

/** Pairs within both distances: the pHash pass over all pairs first, the dHash only for the few it keeps. */
function nearDuplicateLinks(rows: readonly GroupingRow[], maxPhash: number, maxDhash: number): GroupLink[] {
  const hashed = rows.filter((r) => r.phash !== null && r.dhash !== null);
  const dhashes = packHashes(hashed.map((r) => r.dhash!));
  const links: GroupLink[] = [];
  for (const { i, j, distance } of nearPairs(packHashes(hashed.map((r) => r.phash!)), maxPhash)) {
    const dhashDistance = packedDistance(dhashes, i, j);
    if (dhashDistance <= maxDhash) links.push({ a: hashed[i]!.id, b: hashed[j]!.id, kind: 'near-duplicate', phashDistance: distance, dhashDistance });
  }
  return links;
}

/**
 * Pairs of specimens whose embeddings for the model have a cosine of at least `minCosine`. The unit vectors sit
 * in one flat float32 array and the dot product is unrolled by four: the all-pairs loop is the whole cost
 * (10,000 specimens of 192 dimensions: 27 s with float32, 68 s with float64, measured on a loaded machine).
 */
function embeddingLinks(db: Db, model: string, minCosine: number): GroupLink[] {
  const stored = getEmbeddings(db, model);
  const dim = stored[0]?.vector.length ?? 0;
  const usable = stored.filter((e) => e.vector.length === dim);
  const unit = new Float32Array(usable.length * dim);
  usable.forEach((e, i) => {
    const norm = Math.hypot(...e.vector) || 1;
    for (let k = 0; k < dim; k++) unit[i * dim + k] = e.vector[k]! / norm;
  });
  const links: GroupLink[] = [];
  const tail = dim - (dim % 4);
  for (let i = 0; i < usable.length; i++) {
    const u = i * dim;
    for (let j = i + 1; j < usable.length; j++) {
      const v = j * dim;
      let d0 = 0;
      let d1 = 0;
      let d2 = 0;
      let d3 = 0;
      for (let k = 0; k < tail; k += 4) {
        d0 += unit[u + k]! * unit[v + k]!;
        d1 += unit[u + k + 1]! * unit[v + k + 1]!;
        d2 += unit[u + k + 2]! * unit[v + k + 2]!;
        d3 += unit[u + k + 3]! * unit[v + k + 3]!;
      }
      let dot = d0 + d1 + d2 + d3;
      for (let k = tail; k < dim; k++) dot += unit[u + k]! * unit[v + k]!;
      if (dot >= minCosine) links.push({ a: usable[i]!.specimenId, b: usable[j]!.specimenId, kind: 'embedding', cosine: dot });
    }
  }
  return links;
}

/** What `separateFromGroups` did: per group it changed, who left it, and how many pairs were newly cut. */
export interface SeparationResult {
  groups: { group: number; left: number[]; remaining: number[] }[];
  cutsAdded: number;
}

/**
 * "These are two rocks": the given specimens leave their group. Every link between them and the rest of their
 * group is cut (all such pairs go to group_cuts, not only the pairs linked today, so that a later link,
 * e.g. from a new model's embeddings, cannot join them again). The ones named stay together only where
 * they are linked among themselves. A shared sample code is the user's own statement and is not cut here.
 */
export function separateFromGroups(db: Db, ids: readonly number[], options: PhotoGroupOptions = {}): SeparationResult {
  return db.transaction(() => {
    const groups = photoGroups(db, options);
    const leaving = new Set(ids);
    const codes = new Map((stmt(db, 'SELECT id, sample_code FROM specimens').all() as { id: number; sample_code: string | null }[]).map((r) => [r.id, r.sample_code]));
    const byGroup = new Map<number, number[]>();
    for (const id of leaving) {
      if (!codes.has(id)) throw new UserError('not-found', `no specimen with id ${id}`);
      const g = groups.groupOf.get(id)!;
      if (!groups.members.has(g)) throw new UserError('invalid-input', `specimen ${id} is in no group: there is nothing to separate it from`);
      byGroup.set(g, [...(byGroup.get(g) ?? []), id]);
    }
    const insert = stmt(db, 'INSERT OR IGNORE INTO group_cuts (specimen_a, specimen_b, at) VALUES (?, ?, ?)');
    const at = nowIso();
    const result: SeparationResult = { groups: [], cutsAdded: 0 };
    for (const [group, left] of [...byGroup].sort(([a], [b]) => a - b)) {
      const remaining = groups.members.get(group)!.filter((id) => !leaving.has(id));
      if (remaining.length === 0) {
        throw new UserError('invalid-input', `specimens ${left.join(', ')} are the whole of group ${group}: name the ones that should leave it`);
      }
      refuseSharedCode(left, remaining, codes);
      for (const a of left) for (const b of remaining) result.cutsAdded += insert.run(Math.min(a, b), Math.max(a, b), at).changes;
      result.groups.push({ group, left: [...left].sort((x, y) => x - y), remaining });
    }
    return result;
  })();
}

function refuseSharedCode(left: readonly number[], remaining: readonly number[], codes: ReadonlyMap<number, string | null>): void {
  const remainingByCode = new Map(remaining.filter((id) => normalCode(codes.get(id) ?? null)).map((id) => [normalCode(codes.get(id) ?? null), id]));
  for (const id of left) {
    const other = remainingByCode.get(normalCode(codes.get(id) ?? null));
    if (other === undefined) continue;
    throw new UserError(
      'conflict',
      `specimens ${id} and ${other} share sample code "${codes.get(id)!.trim()}", which says they are one rock; edit the sample code of the one that is not to separate them`,
    );
  }
}

/** How many specimens have no perceptual hash yet. */
export function countUnhashedSpecimens(db: Db): number {
  return (stmt(db, 'SELECT COUNT(*) AS n FROM specimens WHERE phash IS NULL').get() as { n: number }).n;
}

/** A specimen waiting for its hashes, with what they are computed from. */
export interface SpecimenToHash {
  id: number;
  path: string;
  /** The stored thumbnail (upright JPEG), or null when it has none. */
  thumbnail: Buffer | null;
}

/** Up to `limit` specimens without hashes whose id is above `afterId`, in id order. */
export function specimensToHash(db: Db, afterId: number, limit: number): SpecimenToHash[] {
  return (
    stmt(
      db,
      `SELECT s.id, s.path, t.jpeg AS thumbnail FROM specimens s LEFT JOIN thumbnails t ON t.specimen_id = s.id
        WHERE s.phash IS NULL AND s.id > ? ORDER BY s.id LIMIT ?`,
    ).all(afterId, limit) as SpecimenToHash[]
  );
}

/** Stores specimens' hashes in one transaction. */
export function putPhotoHashes(db: Db, hashes: readonly { id: number; phash: string; dhash: string }[]): void {
  const update = stmt(db, 'UPDATE specimens SET phash = ?, dhash = ? WHERE id = ?');
  db.transaction(() => {
    for (const h of hashes) update.run(h.phash, h.dhash, h.id);
  })();
}

/** Every specimen's hashes (null until computed), path and label, in id order: what a threshold study reads. */
export function specimenHashes(db: Db): { id: number; path: string; label: string | null; phash: string | null; dhash: string | null }[] {
  return stmt(
    db,
    'SELECT s.id, s.path, c.name AS label, s.phash, s.dhash FROM specimens s LEFT JOIN classes c ON c.id = s.label_class_id ORDER BY s.id',
  ).all() as { id: number; path: string; label: string | null; phash: string | null; dhash: string | null }[];
}
