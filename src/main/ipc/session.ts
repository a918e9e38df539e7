// The catalogue the app has open: at most one at a time, shared by every request, job and image.
import fs from 'node:fs';
import path from 'node:path';
import crypto from 'node:crypto';
import { countSpecimens, openDatabase, type Db } from '../catalogue';
import type { CatalogueInfo } from '../../shared/ipc';
import { IpcError } from './errors';

export class CatalogueSession {
  private db: Db | null = null;
  private file: string | null = null;
  private key = '';

  /** Opens `file` (creating a new catalogue when `create`), closing the one open before. */
  open(file: string, create = false): CatalogueInfo {
    const resolved = path.resolve(file);
    const exists = fs.existsSync(resolved);
    if (create && exists) throw new IpcError('conflict', `${resolved} already exists; open it instead of creating it`);
    if (!create && !exists) throw new IpcError('not-found', `${resolved}: no such catalogue file`);
    if (exists && fs.statSync(resolved).isDirectory()) throw new IpcError('invalid-request', `${resolved} is a folder, not a catalogue file`);
    const db = openDatabase(resolved);
    this.close();
    this.db = db;
    this.file = resolved;
    this.key = crypto.randomBytes(6).toString('hex');
    return this.info()!;
  }

  close(): void {
    this.db?.close();
    this.db = null;
    this.file = null;
    this.key = '';
  }

  isOpen(): boolean {
    return this.db !== null;
  }

  /** The open catalogue, or a `no-catalogue` error the renderer turns into "open or create one". */
  requireDb(): Db {
    if (!this.db) throw new IpcError('no-catalogue', 'no catalogue is open: open or create one first');
    return this.db;
  }

  /** The key image URLs must carry to be served (see shared/images). */
  currentKey(): string {
    return this.key;
  }

  info(): CatalogueInfo | null {
    if (!this.db || !this.file) return null;
    return {
      path: this.file,
      name: path.basename(this.file),
      key: this.key,
      schemaVersion: this.db.pragma('user_version', { simple: true }) as number,
      specimens: countSpecimens(this.db),
    };
  }
}
