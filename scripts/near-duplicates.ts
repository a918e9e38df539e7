// The near-duplicate threshold study, for docs/results.md ("Near-duplicate threshold"):
//   node --import tsx scripts/near-duplicates.ts [FOLDER] [--keep DIR] [--copies-every N]
// Imports FOLDER (default: minerals7, labels from class folders) into a temporary catalogue through the import
// service, then prints
// - how many pairs of photos lie at each pHash distance, with their dHash distances;
// - every pair within 4 bits of Orelab's rule (pHash ≤ T and dHash ≤ D) on both hashes, inside or outside it,
//   with both photos' paths and classes; with --keep DIR, each pair side by side as DIR/NNN-pP-dD.png;
// - how far every Nth photo (default 4) lies from edited copies of itself (cropped, re-encoded, resized,
//   brightened), and how many of those copies the rule links to it.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import sharp, { type Sharp } from 'sharp';
import { DEFAULT_MAX_DHASH_DISTANCE, DEFAULT_MAX_PHASH_DISTANCE, openDatabase, specimenHashes } from '../src/main/catalogue';
import { runImport } from '../src/main/services/import';
import { decodeImage } from '../src/main/images/decode';
import { hammingDistance, nearPairs, packHashes } from '../src/main/images/hamming';

const { values, positionals } = parseArgs({ allowPositionals: true, options: { keep: { type: 'string' }, 'copies-every': { type: 'string' } } });
const folder = path.resolve(positionals[0] ?? path.join(import.meta.dirname, '../../shared/datasets/minerals7'));
const T = DEFAULT_MAX_PHASH_DISTANCE;
const D = DEFAULT_MAX_DHASH_DISTANCE;
const WINDOW = 4;
const HISTOGRAM_UP_TO = 20;
const inside = (p: number, d: number) => p <= T && d <= D;

type Edit = (photo: Sharp, width: number, height: number) => Sharp;
const crop = (fraction: number): Edit => (photo, w, h) =>
  photo.extract({ left: Math.round(w * fraction), top: Math.round(h * fraction), width: Math.floor(w * (1 - 2 * fraction)), height: Math.floor(h * (1 - 2 * fraction)) });
const EDITS: [string, Edit][] = [
  ['cropped 1.5% on every side, JPEG q85', (p, w, h) => crop(0.015)(p, w, h).jpeg({ quality: 85 })],
  ['cropped 3% on every side, JPEG q85', (p, w, h) => crop(0.03)(p, w, h).jpeg({ quality: 85 })],
  ['cropped 3% on every side, 80% size, JPEG q60', (p, w, h) => crop(0.03)(p, w, h).resize(Math.round(w * 0.8)).jpeg({ quality: 60 })],
  ['re-encoded JPEG q40', (p) => p.jpeg({ quality: 40 })],
  ['twice the size, PNG', (p, w) => p.resize(w * 2).png()],
  ['10% brighter, JPEG q85', (p) => p.modulate({ brightness: 1.1 }).jpeg({ quality: 85 })],
];

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'orelab-near-duplicates-'));
try {
  const db = openDatabase(path.join(dir, 'catalogue.sqlite'));
  const imported = await runImport({ db }, { folder, labelsFromFolders: true });
  const rows = specimenHashes(db).filter((r) => r.phash !== null && r.dhash !== null);
  db.close();
  console.log(`${folder}: ${imported.new} photos imported, ${rows.length} hashed, ${(rows.length * (rows.length - 1)) / 2} pairs`);
  console.log(`rule: near-duplicates when pHash distance ≤ ${T} and dHash distance ≤ ${D}`);

  const pairs = nearPairs(packHashes(rows.map((r) => r.phash!)), HISTOGRAM_UP_TO).map((p) => ({
    a: rows[p.i]!,
    b: rows[p.j]!,
    phash: p.distance,
    dhash: hammingDistance(rows[p.i]!.dhash!, rows[p.j]!.dhash!),
  }));
  console.log(`\npairs by pHash distance (a pHash splits at its median, so distances are even), with their dHash distances (min/median/max):`);
  for (let d = 0; d <= HISTOGRAM_UP_TO; d += 2) {
    const at = pairs.filter((p) => p.phash === d).map((p) => p.dhash).sort((x, y) => x - y);
    const dh = at.length ? `  dHash ${at[0]}/${at[at.length >> 1]}/${at.at(-1)}, ${at.filter((x) => x <= D).length} within ${D}` : '';
    console.log(`  ${String(d).padStart(2)}: ${String(at.length).padStart(4)}${dh}`);
  }

  const relative = (p: string) => path.relative(folder, p);
  console.log(`\npairs within ${WINDOW} bits of the rule on both hashes (pHash ≤ ${T + WINDOW}, dHash ≤ ${D + WINDOW}):`);
  const near = pairs.filter((p) => p.phash <= T + WINDOW && p.dhash <= D + WINDOW).sort((x, y) => x.phash - y.phash || x.dhash - y.dhash);
  if (values.keep) fs.mkdirSync(values.keep, { recursive: true });
  for (const [n, p] of near.entries()) {
    const side = inside(p.phash, p.dhash) ? 'inside ' : 'outside';
    const classes = p.a.label === p.b.label ? 'same class' : 'different classes';
    console.log(`  ${side} pHash ${String(p.phash).padStart(2)} dHash ${String(p.dhash).padStart(2)}  ${relative(p.a.path)}  ${relative(p.b.path)}  (${classes})`);
    if (values.keep) await sideBySide(p.a.path, p.b.path, path.join(values.keep, `${String(n).padStart(3, '0')}-p${p.phash}-d${p.dhash}.png`));
  }

  const every = Number(values['copies-every'] ?? 4);
  const sample = rows.filter((_, i) => i % every === 0);
  console.log(`\nedited copies of ${sample.length} photos (every ${every}th), hashed as import hashes them: distance to the photo (median / 95th percentile / max), and copies the rule links:`);
  for (const [name, edit] of EDITS) {
    const distances = await Promise.all(sample.map((r) => copyDistance(r.path, r.phash!, r.dhash!, edit)));
    const ps = distances.map((x) => x.phash);
    const ds = distances.map((x) => x.dhash);
    const linked = distances.filter((x) => inside(x.phash, x.dhash)).length;
    console.log(`  ${name}: pHash ${quantiles(ps)}, dHash ${quantiles(ds)}; linked ${linked}/${sample.length}`);
  }
} finally {
  fs.rmSync(dir, { recursive: true, force: true });
}

async function copyDistance(file: string, phash: string, dhash: string, edit: Edit): Promise<{ phash: number; dhash: number }> {
  const { data, info } = await sharp(file).rotate().toBuffer({ resolveWithObject: true });
  const copy = await edit(sharp(data), info.width, info.height).toBuffer();
  const hashes = (await decodeImage(copy)).hashes!;
  return { phash: hammingDistance(hashes.phash, phash), dhash: hammingDistance(hashes.dhash, dhash) };
}

function quantiles(xs: number[]): string {
  const sorted = [...xs].sort((a, b) => a - b);
  return `${sorted[sorted.length >> 1]}/${sorted[Math.min(sorted.length - 1, Math.floor(0.95 * sorted.length))]}/${sorted.at(-1)}`;
}

/** Both photos, upright, 256 px high, next to each other. */
async function sideBySide(a: string, b: string, out: string): Promise<void> {
  const [left, right] = await Promise.all([a, b].map((f) => sharp(f).rotate().resize({ height: 256 }).png().toBuffer({ resolveWithObject: true })));
  await sharp({ create: { width: left!.info.width + right!.info.width + 8, height: 256, channels: 3, background: '#ffffff' } })
    .composite([
      { input: left!.data, left: 0, top: 0 },
      { input: right!.data, left: left!.info.width + 8, top: 0 },
    ])
    .png()
    .toFile(out);
}
