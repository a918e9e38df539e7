// The sha256 of a file's bytes: how Orelab names a weights or model file independently of where it lies.
import crypto from 'node:crypto';
import fs from 'node:fs';

export function sha256FileSync(file: string): string {
  return crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');
}
