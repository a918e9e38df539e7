import type { ClassInfo } from '../../shared/domain';
import { stmt, type Db } from './open';
import { nowIso } from './time';
import { applyLabelChanges } from './labels';
import { classNameProblem } from '../../shared/class-name';
import { UserError } from '../../shared/errors';

export class ClassError extends UserError {
  constructor(message: string) {
    super('conflict', message);
  }
}

/**
 * A class name a person typed (CLI, app, an import folder), as it will be stored: surrounding spaces are
 * dropped, and the rest must pass the shared rule (src/shared/class-name.ts), the same one a model's class
 * list is held to, since a class name becomes a sorting folder and a CSV column.
 */
export function validateClassName(raw: string): string {
  const name = raw.trim();
  const problem = classNameProblem(name);
  if (problem !== null) throw new ClassError(`${problem}; choose another name`);
  return name;
}

/** Active (not merged) classes, by name, with their labeled counts. */
export function listClasses(db: Db): ClassInfo[] {
  return db
    .prepare(
      `SELECT c.id, c.name, COUNT(s.id) AS count
         FROM classes c LEFT JOIN specimens s ON s.label_class_id = c.id
        WHERE c.merged_into IS NULL
        GROUP BY c.id ORDER BY c.name COLLATE NOCASE`,
    )
    .all() as ClassInfo[];
}

export function findClass(db: Db, name: string): { id: number; name: string; merged_into: number | null } | undefined {
  return stmt(db, 'SELECT id, name, merged_into FROM classes WHERE name = ?').get(name.trim()) as
    | { id: number; name: string; merged_into: number | null }
    | undefined;
}

/** A class's name by id (merged ones too: a specimen may still point at one), or undefined. */
export function className(db: Db, id: number): string | undefined {
  return (stmt(db, 'SELECT name FROM classes WHERE id = ?').get(id) as { name: string } | undefined)?.name;
}

/** The id of an active class by name, creating it if it does not exist (a merged class is revived). */
export function ensureClass(db: Db, rawName: string): number {
  const name = validateClassName(rawName);
  const existing = findClass(db, name);
  if (existing) {
    if (existing.merged_into !== null) stmt(db, 'UPDATE classes SET merged_into = NULL WHERE id = ?').run(existing.id);
    return existing.id;
  }
  return Number(stmt(db, 'INSERT INTO classes (name, created_at) VALUES (?, ?)').run(name, nowIso()).lastInsertRowid);
}

export function addClass(db: Db, rawName: string): ClassInfo {
  const name = validateClassName(rawName);
  const existing = findClass(db, name);
  if (existing && existing.merged_into === null) throw new ClassError(`class "${existing.name}" already exists`);
  const id = ensureClass(db, name);
  return { id, name, count: 0 };
}

export function renameClass(db: Db, from: string, rawTo: string): void {
  const to = validateClassName(rawTo);
  const source = findClass(db, from);
  if (!source || source.merged_into !== null) throw new ClassError(`no class named "${from}"`);
  const clash = findClass(db, to);
  if (clash && clash.id !== source.id) throw new ClassError(`class "${clash.name}" already exists; use merge to combine classes`);
  stmt(db, 'UPDATE classes SET name = ? WHERE id = ?').run(to, source.id);
}

/**
 * Moves every specimen of `from` into `into` as one undoable label operation, then hides `from`.
 * Undo relabels the specimens and shows `from` again.
 */
export function mergeClasses(db: Db, from: string, into: string): { moved: number; opId: number } {
  return db.transaction(() => {
    const source = findClass(db, from);
    const target = findClass(db, into);
    if (!source || source.merged_into !== null) throw new ClassError(`no class named "${from}"`);
    if (!target || target.merged_into !== null) throw new ClassError(`no class named "${into}"`);
    if (source.id === target.id) throw new ClassError('cannot merge a class into itself');
    const ids = (stmt(db, 'SELECT id FROM specimens WHERE label_class_id = ?').all(source.id) as { id: number }[]).map((r) => r.id);
    const opId = applyLabelChanges(db, {
      specimenIds: ids,
      toClassId: target.id,
      source: 'manual',
      kind: 'merge',
      description: `merge ${source.name} into ${target.name}`,
      payload: { mergedClassId: source.id },
    });
    stmt(db, 'UPDATE classes SET merged_into = ? WHERE id = ?').run(target.id, source.id);
    return { moved: ids.length, opId };
  })();
}
