// What every use case gets from its shell: the open catalogue, and for long ones a signal and a progress sink.
import type { Db } from '../catalogue';

export interface ServiceContext {
  db: Db;
  /** The catalogue file (caches and run folders live beside it). */
  cataloguePath: string;
}

export interface RunHooks<Progress> {
  signal?: AbortSignal;
  onProgress?: (p: Progress) => void;
}
