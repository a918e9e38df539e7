import fs from 'node:fs';
import path from 'node:path';
import os from 'node:os';
import Database from 'better-sqlite3';
import { MIGRATIONS, LATEST_SCHEMA_VERSION } from './migrations';
import { UserError } from '../../shared/errors';

export type Db = Database.Database;

/** The folder Electron's app.getPath('userData') gives for an app named Orelab, computed without Electron. */
export function defaultUserDataDir(): string {
  const home = os.homedir();
  switch (process.platform) {
    case 'darwin':
      return path.join(home, 'Library', 'Application Support', 'Orelab');
    case 'win32':
      return path.join(process.env.APPDATA ?? path.join(home, 'AppData', 'Roaming'), 'Orelab');
    default:
      return path.join(process.env.XDG_CONFIG_HOME ?? path.join(home, '.config'), 'Orelab');
  }
}

/** --db wins, then ORELAB_DB, then the user-data folder. */
export function resolveCataloguePath(explicit?: string): string {
  if (explicit) return path.resolve(explicit);
  const fromEnv = process.env.ORELAB_DB;
  if (fromEnv) return path.resolve(fromEnv);
  return path.join(defaultUserDataDir(), 'catalogue.sqlite');
}

export class CatalogueVersionError extends UserError {
  constructor(message: string) {
    super('conflict', message);
  }
}

/** The file cannot serve as a catalogue (not SQLite, read-only, unreachable); the message names it and says why. */
export class CatalogueOpenError extends UserError {
  constructor(message: string) {
    super('invalid-input', message);
  }
}

/** The first 16 bytes of every SQLite 3 database file. */
const SQLITE_MAGIC = Buffer.from('SQLite format 3\0', 'latin1');

/**
 * Opens (creating if needed) a catalogue file: WAL so readers never block the writer and a kill never
 * tears a commit; foreign keys on; migrations applied in one transaction each.
 *
 * Nothing is changed before the file is known to be one this program can use: a file that is not SQLite,
 * a read-only file opened for writing, or a catalogue from a newer Orelab is refused with a one-line
 * CatalogueOpenError / CatalogueVersionError, and the file is left byte for byte as it was (the switch to
 * WAL rewrites the header, so it comes after the version check).
 */
export function openDatabase(file: string, options: { readonly?: boolean } = {}): Db {
  const readonly = options.readonly ?? false;
  checkCatalogueFile(file, readonly);
  if (!readonly) fs.mkdirSync(path.dirname(file), { recursive: true });
  let db: Db;
  try {
    db = new Database(file, { readonly, fileMustExist: readonly });
  } catch (err) {
    throw openFailure(file, err);
  }
  try {
    db.pragma('busy_timeout = 10000');
    // Reading user_version only reads the header: the refusal below leaves the file untouched.
    const version = db.pragma('user_version', { simple: true }) as number;
    if (version > LATEST_SCHEMA_VERSION) {
      throw new CatalogueVersionError(
        `${file} has schema version ${version}, newer than this Orelab understands (${LATEST_SCHEMA_VERSION}). Update Orelab.`,
      );
    }
    if (!readonly) {
      db.pragma('journal_mode = WAL');
      // NORMAL in WAL mode cannot corrupt the file on a crash; the newest commits may roll back on power loss.
      db.pragma('synchronous = NORMAL');
      // Checkpoint every 32 MB of WAL instead of SQLite's 4 MB: imports write thumbnails in bulk, and each
      // checkpoint costs an fsync of the main file (measured: a quarter of an import's write time).
      db.pragma('wal_autocheckpoint = 8192');
    }
    db.pragma('foreign_keys = ON');
    if (!readonly) migrate(db);
    return db;
  } catch (err) {
    db.close();
    throw err instanceof CatalogueVersionError ? err : openFailure(file, err);
  }
}

/**
 * Refuses, before SQLite touches it, a file that is not a SQLite database, and (when writing) a read-only
 * file or folder. Read-only is judged by the mode bits as well as access(W_OK): root passes access() on a
 * 0444 file and SQLite would then write to it anyway, so a file with no write bit at all is taken as the
 * owner's statement that it must not change, whoever runs the program.
 */
function checkCatalogueFile(file: string, readonly: boolean): void {
  let st: fs.Stats | null = null;
  try {
    st = fs.statSync(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw openFailure(file, err);
  }
  if (st?.isDirectory()) throw new CatalogueOpenError(`${file} is a folder, not a catalogue file`);
  if (st && st.size > 0) {
    const header = Buffer.alloc(SQLITE_MAGIC.length);
    let fd: number | null = null;
    try {
      fd = fs.openSync(file, 'r');
      fs.readSync(fd, header, 0, header.length, 0);
    } catch (err) {
      throw openFailure(file, err);
    } finally {
      if (fd !== null) fs.closeSync(fd);
    }
    if (!header.equals(SQLITE_MAGIC)) throw notSqlite(file);
  }
  if (readonly) return;
  if (st && !isWritable(file, st)) {
    throw new CatalogueOpenError(`${file} is read-only; make it writable (chmod u+w) or work on a writable copy`);
  }
  // New catalogues are created in the folder, and WAL keeps its -wal and -shm files beside the catalogue.
  const dir = path.dirname(file);
  let dirStat: fs.Stats | null = null;
  try {
    dirStat = fs.statSync(dir);
  } catch {
    // A missing folder is created by the caller; one that cannot be created fails there with its reason.
  }
  if (dirStat && !isWritable(dir, dirStat)) {
    throw new CatalogueOpenError(
      `${file}: its folder ${dir} is read-only (the catalogue keeps its journal files beside it); make the folder writable or move the catalogue`,
    );
  }
}

function isWritable(target: string, st: fs.Stats): boolean {
  if ((st.mode & 0o222) === 0) return false;
  try {
    fs.accessSync(target, fs.constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

function notSqlite(file: string): CatalogueOpenError {
  return new CatalogueOpenError(`${file} is not an Orelab catalogue (not a SQLite database)`);
}

/** SQLite's and the file system's errors at open, as one line naming the file. */
function openFailure(file: string, err: unknown): Error {
  if (err instanceof CatalogueOpenError) return err;
  const code = (err as { code?: unknown } | null)?.code;
  switch (code) {
    case 'SQLITE_NOTADB':
      return notSqlite(file);
    case 'SQLITE_READONLY':
    case 'EROFS':
      return new CatalogueOpenError(`${file} is read-only; make it writable (chmod u+w) or work on a writable copy`);
    case 'SQLITE_CORRUPT':
      return new CatalogueOpenError(`${file} is damaged (SQLite: ${(err as Error).message}); restore it from a backup`);
    case 'SQLITE_CANTOPEN':
    case 'EACCES':
    case 'EPERM':
      return new CatalogueOpenError(`${file} cannot be opened (${(err as Error).message}); check the path and its permissions`);
    default:
      return err instanceof Error ? err : new Error(String(err));
  }
}

function migrate(db: Db): void {
  const current = db.pragma('user_version', { simple: true }) as number;
  for (const m of MIGRATIONS) {
    if (m.version <= current) continue;
    db.transaction(() => {
      db.exec(m.sql);
      db.pragma(`user_version = ${m.version}`);
    }).immediate();
  }
}

const statementCache = new WeakMap<Db, Map<string, Database.Statement>>();

/** A prepared statement, compiled once per connection: hot paths call this per row. */
export function stmt(db: Db, sql: string): Database.Statement {
  let cache = statementCache.get(db);
  if (!cache) statementCache.set(db, (cache = new Map()));
  let s = cache.get(sql);
  if (!s) cache.set(sql, (s = db.prepare(sql)));
  return s;
}
