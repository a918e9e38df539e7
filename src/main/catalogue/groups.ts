// Photo groups: the specimens that are one rock. A group is a connected set of specimens joined by a shared
// sample code, or by near-duplicate photos (perceptual hashes within a Hamming threshold), except over a link
// the user cut. Groups are computed on every read, never stored, so they follow the catalogue as it changes.
import { stmt, type Db } from './open';

export interface PhotoGroups {
  /** The group of every specimen, named by its smallest (first imported) specimen id; a lone specimen is its own group. */
  groupOf: Map<number, number>;
  /** The groups of two or more specimens, by group id: member ids, ascending. */
  members: Map<number, number[]>;
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

/** Every specimen's group (see the file's comment). */
export function photoGroups(db: Db): PhotoGroups {
  const rows = stmt(db, 'SELECT id, sample_code FROM specimens ORDER BY id').all() as { id: number; sample_code: string | null }[];
  const sets = new DisjointSets();
  const byCode = new Map<string, number>();
  for (const r of rows) {
    const code = r.sample_code?.trim().toLowerCase();
    if (!code) continue;
    const first = byCode.get(code);
    if (first === undefined) byCode.set(code, r.id);
    else sets.union(first, r.id);
  }
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
  return { groupOf, members };
}
