import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after } from 'node:test';

/** A fresh temp folder, removed when the test file finishes. */
export function tempDir(prefix = 'orelab-test-'): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  after(() => {
    // Files made unreadable by a test must be readable again to be removed.
    try {
      for (const f of fs.readdirSync(dir, { recursive: true }) as string[]) {
        try {
          fs.chmodSync(path.join(dir, f), 0o755);
        } catch {
          // symlinks to nowhere and vanished files: nothing to restore
        }
      }
    } catch {
      // already gone
    }
    fs.rmSync(dir, { recursive: true, force: true });
  });
  return dir;
}

export const MINERALS7 = path.resolve(import.meta.dirname, '../../../shared/datasets/minerals7');
export const REPO_ROOT = path.resolve(import.meta.dirname, '../..');
