// bench/import: images per second importing minerals7 into a fresh catalogue, against a bare loop that only
// reads, hashes (sha256) and fully decodes the same files with sharp at the same concurrency, in the same run.
// Runs alternate so that both see the same machine state; medians are reported.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import crypto from 'node:crypto';
import sharp from 'sharp';
import { openDatabase } from '../src/main/catalogue';
import { importFolder } from '../src/main/jobs/import';
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

async function orelabImport(): Promise<number> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'orelab-bench-'));
  try {
    const db = openDatabase(path.join(dir, 'bench.sqlite'));
    const started = performance.now();
    const summary = await importFolder(db, { folder: DATASET, labelsFromFolders: true, concurrency: CONCURRENCY });
    const seconds = (performance.now() - started) / 1000;
    db.close();
    if (summary.new !== 804) throw new Error(`expected 804 new specimens, got ${summary.new}`);
    return summary.new / seconds;
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
for (let i = 0; i < ROUNDS; i++) {
  bare.push(await bareLoop(files));
  orelab.push(await orelabImport());
  console.log(`round ${i + 1}: orelab ${orelab.at(-1)!.toFixed(1)} img/s, bare ${bare.at(-1)!.toFixed(1)} img/s`);
}
const o = median(orelab);
const b = median(bare);
console.log('orelab = scan + read + sha256 + decode (EXIF-oriented) + thumbnail + SQLite writes; bare = read + sha256 + full decode');
console.log(`import: orelab ${o.toFixed(1)} img/s, bare ${b.toFixed(1)} img/s, ratio ${(o / b).toFixed(2)}`);
