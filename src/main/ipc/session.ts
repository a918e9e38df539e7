// The catalogue the app has open: at most one at a time, shared by every request, job and image.
import fs from 'node:fs';
import path from 'node:path';
import crypto from 'node:crypto';
import { countSpecimens, openDatabase, type Db, type ModelRecord } from '../catalogue';
import type { CatalogueInfo } from '../../shared/ipc';
import { OnnxClassifier } from '../jobs/inference/classifier';
import { IpcError } from './errors';

export class CatalogueSession {
  private db: Db | null = null;
  private file: string | null = null;
  private key = '';
  /** Models opened for inference (each an ONNX session in a worker), kept while this catalogue is open. */
  private classifiers = new Map<string, Promise<OnnxClassifier>>();

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
    void this.closeClassifiers();
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

  /**
   * The classifier of a catalogue model, opened once (a worker with an ONNX Runtime session) and shared by
   * evaluation, batch classification and attention maps until the catalogue closes.
   */
  classifier(model: ModelRecord): Promise<OnnxClassifier> {
    const cached = this.classifiers.get(model.id);
    if (cached) return cached;
    const opening = (async () => {
      if (!fs.existsSync(model.path)) throw new IpcError('not-found', `the file of model ${model.id} is gone: ${model.path}`);
      const classifier = await OnnxClassifier.open(model.path, { maxBatch: 32 });
      if (classifier.modelId !== model.id) {
        await classifier.close();
        throw new IpcError('conflict', `${model.path} has changed since model ${model.id} was recorded (it is now ${classifier.modelId})`);
      }
      return classifier;
    })();
    this.classifiers.set(model.id, opening);
    // A failed open is not cached: the next request tries again (the file may be back).
    opening.catch(() => this.classifiers.get(model.id) === opening && this.classifiers.delete(model.id));
    return opening;
  }

  /** Stops every classifier worker (the catalogue closes, or the app quits). */
  async closeClassifiers(): Promise<void> {
    const open = [...this.classifiers.values()];
    this.classifiers = new Map();
    await Promise.all(open.map((p) => p.then((c) => c.close()).catch(() => undefined)));
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
