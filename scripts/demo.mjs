// The main job end to end on its embedded defaults: import a labeled photo collection into a fresh
// catalogue, split it 8:1:1, fine-tune MA-ViT on the shipped ViT-Ti/16 backbone with the paper's recipe,
// evaluate the kept model on the test split, then batch-sort the collection with it into class folders
// with a CSV report. Usage: npm run demo [-- <labeled folder>] [-- --quick]
//   --quick: 5 epochs on 40 photos per class, batch 16 (minutes) instead of the full recipe (about an hour on 2 cores).
import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, existsSync } from 'node:fs';
import path from 'node:path';

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const folder = path.resolve(args.find((a) => !a.startsWith('--')) ?? '../shared/datasets/minerals7');
const out = path.resolve('demo-output');
if (!existsSync(folder)) {
  console.error(`demo: ${folder} does not exist; give a folder of photos in class folders`);
  process.exit(1);
}
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
const db = path.join(out, 'catalogue.sqlite');

const orelab = (...argv) => {
  console.log(`\n$ orelab ${argv.join(' ')}`);
  const r = spawnSync(process.execPath, ['bin/orelab.js', ...argv], { stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
};

orelab('import', folder, '--labels-from-folders', '--db', db);
orelab('split', '--db', db, '--seed', '0');
orelab('stats', '--db', db);
orelab('train', '--db', db, '--out', path.join(out, 'run'), ...(quick ? ['--epochs', '5', '--limit-per-class', '40', '--batch', '16'] : []));
orelab('eval', '--model', path.join(out, 'run', 'model.onnx'), '--db', db, '--split', 'test', '--csv', path.join(out, 'test.csv'));
orelab('classify', folder, '--model', path.join(out, 'run', 'model.onnx'), '--csv', path.join(out, 'sorted.csv'), '--sort-into', path.join(out, 'sorted'), '--copy', '--review-below', '0.5');
console.log(`\nEverything is in ${out}: catalogue.sqlite, run/model.onnx, run/report.json, test.*.csv, sorted/ and sorted*.csv`);
