// bench/import: images per second importing minerals7 into a fresh catalogue, against a bare loop that only
// reads, hashes (sha256) and fully decodes the same files with sharp at the same concurrency, in the same run.
// Runs alternate so that both see the same machine state; medians are reported.
// Also, in the same rounds: what the perceptual hashes cost the import (the same import without them), and the
// rate of the hash backfill over the imported catalogue (its hashes cleared, as in a catalogue from before them).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import crypto from 'node:crypto';
import sharp from 'sharp';
import { openDatabase } from '../src/main/catalogue';
import { importFolder } from '../src/main/jobs/import';
import { backfillPhotoHashes } from '../src/main/jobs/hash-backfill';
import { scanFolder } from '../src/main/images/scan';

const DATASET = path.resolve(import.meta.dirname, '../../shared/datasets/minerals7');
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const CONCURRENCY = 8;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function listImages(): Promise<string[]> {
  const files: string[] = [];
  for await (const e of scanFolder(DATASET)) if (e.kind === 'image') files.push(e.path);
  return files;
}

async function bareLoop(files: string[]): Promise<number> {
  const started = performance.now();
  let next = 0;
  const worker = async () => {
    while (next < files.length) {
      const file = files[next++]!;
      const bytes = await fs.promises.readFile(file);
      crypto.createHash('sha256').update(bytes).digest('hex');
      await sharp(bytes).rotate().raw().toBuffer();
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  return files.length / ((performance.now() - started) / 1000);
}

/** Images per second of an import (with perceptual hashes unless told not to); with `backfill`, also the hash backfill's photos per second. */
async function orelabImport(options: { photoHashes?: boolean; backfill?: boolean } = {}): Promise<{ rate: number; backfillRate: number | null }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'orelab-bench-'));
  try {
    const db = openDatabase(path.join(dir, 'bench.sqlite'));
    const started = performance.now();
    const summary = await importFolder(db, { folder: DATASET, labelsFromFolders: true, concurrency: CONCURRENCY, photoHashes: options.photoHashes ?? true });
    const seconds = (performance.now() - started) / 1000;
    if (summary.new !== 804) throw new Error(`expected 804 new specimens, got ${summary.new}`);
    let backfillRate: number | null = null;
    if (options.backfill) {
      db.exec('UPDATE specimens SET phash = NULL, dhash = NULL');
      const backfill = await backfillPhotoHashes(db);
      if (backfill.hashed !== 804) throw new Error(`expected 804 photos hashed by the backfill, got ${backfill.hashed}`);
      backfillRate = backfill.photosPerSecond;
    }
    db.close();
    return { rate: summary.new / seconds, backfillRate };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const files = await listImages();
console.log(`minerals7: ${files.length} images; ${os.cpus().length} cores; concurrency ${CONCURRENCY}; ${ROUNDS} rounds (first round is a warm-up)`);
await bareLoop(files); // warm the page cache and libvips
await orelabImport();
const orelab: number[] = [];
const bare: number[] = [];
const unhashed: number[] = [];
const backfill: number[] = [];
for (let i = 0; i < ROUNDS; i++) {
  bare.push(await bareLoop(files));
  const run = await orelabImport({ backfill: true });
  orelab.push(run.rate);
  backfill.push(run.backfillRate!);
  unhashed.push((await orelabImport({ photoHashes: false })).rate);
  console.log(
    `round ${i + 1}: orelab ${orelab.at(-1)!.toFixed(1)} img/s, bare ${bare.at(-1)!.toFixed(1)} img/s, orelab without photo hashes ${unhashed.at(-1)!.toFixed(1)} img/s, hash backfill ${backfill.at(-1)!.toFixed(0)} photos/s`,
  );
}
const o = median(orelab);
const b = median(bare);
const u = median(unhashed);
console.log(`photo hashes at import: orelab ${o.toFixed(1)} img/s with them, ${u.toFixed(1)} without: they cost ${((u / o - 1) * 100).toFixed(1)}% of import time`);
console.log(`hash backfill (from the stored thumbnails, 804 specimens): ${median(backfill).toFixed(0)} photos/s`);
console.log('orelab = scan + read + sha256 + decode (EXIF-oriented) + thumbnail + perceptual hashes + SQLite writes; bare = read + sha256 + full decode');
console.log(`import: orelab ${o.toFixed(1)} img/s, bare ${b.toFixed(1)} img/s, ratio ${(o / b).toFixed(2)}`);
