// The one photo reader (images/limits.ts) that import, classify, the training cache and the image route share:
// a FIFO where a photo was is refused at once instead of waiting for a writer forever (without O_NONBLOCK this
// test never ends), and a regular file is read whole.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import crypto from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { isRefusal, readPhotoFile } from '../../src/main/images/limits';
import { AUGREG_PREPROCESS, PreprocessCache } from '../../src/main/images/preprocess';
import { ImageDecodeError } from '../../src/main/images/decode';
import { tempDir } from '../helpers/fs';
import { makeJpeg } from '../helpers/images';

function fifoAt(file: string): void {
  const r = spawnSync('mkfifo', [file]);
  assert.equal(r.status, 0, `mkfifo: ${String(r.stderr)}`);
}

test('a FIFO in a photo\'s place is refused as not a regular file, by the reader and the training cache; a photo is read', { timeout: 120_000 }, async () => {
  const dir = tempDir();
  const fifo = path.join(dir, 'photo.jpg');
  fifoAt(fifo);
  const read = await readPhotoFile(fifo);
  assert.ok(isRefusal(read) && read.refused === 'not a regular file', 'refused, not hung');

  const cache = new PreprocessCache(path.join(dir, 'cache'), AUGREG_PREPROCESS);
  await assert.rejects(cache.get('0'.repeat(64), fifo), (e: unknown) => e instanceof ImageDecodeError && /not a regular file/.test(e.message));

  const photo = path.join(dir, 'real.jpg');
  const bytes = await makeJpeg(3);
  fs.writeFileSync(photo, bytes);
  const ok = await readPhotoFile(photo);
  assert.ok(Buffer.isBuffer(ok) && ok.equals(bytes));
  const pixels = await cache.get(crypto.createHash('sha256').update(bytes).digest('hex'), photo);
  assert.equal(pixels.length, 224 * 224 * 3);
  await assert.rejects(readPhotoFile(path.join(dir, 'missing.jpg')), { code: 'ENOENT' });
});
