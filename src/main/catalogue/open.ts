import fs from 'node:fs';
import path from 'node:path';
import os from 'node:os';
import Database from 'better-sqlite3';
import { MIGRATIONS, LATEST_SCHEMA_VERSION } from './migrations';

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

export class CatalogueVersionError extends Error {}

/**
 * Opens (creating if needed) a catalogue file: WAL so readers never block the writer and a kill never
 * tears a commit; foreign keys on; migrations applied in one transaction each.
 */
export function openDatabase(file: string, options: { readonly?: boolean } = {}): Db {
  if (!options.readonly) fs.mkdirSync(path.dirname(file), { recursive: true });
  const db = new Database(file, { readonly: options.readonly ?? false, fileMustExist: options.readonly ?? false });
  db.pragma('busy_timeout = 10000');
  if (!options.readonly) {
    db.pragma('journal_mode = WAL');
    // NORMAL in WAL mode cannot corrupt the file on a crash; the newest commits may roll back on power loss.
    db.pragma('synchronous = NORMAL');
    // Checkpoint every 32 MB of WAL instead of SQLite's 4 MB: imports write thumbnails in bulk, and each
    // checkpoint costs an fsync of the main file (measured: a quarter of an import's write time).
    db.pragma('wal_autocheckpoint = 8192');
  }
  db.pragma('foreign_keys = ON');
  const version = db.pragma('user_version', { simple: true }) as number;
  if (version > LATEST_SCHEMA_VERSION) {
    db.close();
    throw new CatalogueVersionError(
      `${file} has schema version ${version}, newer than this Orelab understands (${LATEST_SCHEMA_VERSION}). Update Orelab.`,
    );
  }
  if (!options.readonly) migrate(db);
  return db;
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
