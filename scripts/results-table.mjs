// Prints docs/results.md's Table 1 rows from training reports: node scripts/results-table.mjs RUN_DIR...
// Each RUN_DIR holds the report.json that `orelab train` wrote. Rare classes are those with the fewest
// training images.
import { readFileSync } from 'node:fs';
import path from 'node:path';

const reports = process.argv.slice(2).map((dir) => ({ dir, r: JSON.parse(readFileSync(path.join(dir, 'report.json'), 'utf8')) }));
if (reports.length === 0) {
  console.error('usage: node scripts/results-table.mjs RUN_DIR...');
  process.exit(2);
}
const counts = reports[0].r.dataset.counts.train;
const rare = Object.entries(counts).sort((a, b) => a[1] - b[1]).slice(0, 2).map(([c]) => c);
const pct = (x) => `${(100 * x).toFixed(2)}%`;
const header = ['run', 'variant', 'CBAM gate', 'test accuracy', 'macro F1', ...rare.flatMap((c) => [`${c} recall`, `${c} precision`]), 'kept epoch', 'val accuracy', 'training time', 'train img/s (median epoch)'];
console.log(`| ${header.join(' | ')} |`);
console.log(`| ${header.map((_, i) => (i < 3 ? '---' : '---:')).join(' | ')} |`);
for (const { dir, r } of reports) {
  const per = Object.fromEntries(r.test.per_class.map((c) => [c.class, c]));
  // From the per-epoch records (training and validation of each epoch), which survive resumes in every report version.
  const minutes = r.epochs.reduce((a, e) => a + e.seconds, 0) / 60;
  const rates = r.epochs.map((e) => e.imagesPerSecond).sort((a, b) => a - b);
  const medianRate = rates[Math.floor(rates.length / 2)];
  console.log(
    `| ${path.basename(dir)} | ${r.config.variant} | ${r.config.cbamGate ?? '—'} | ${pct(r.test.accuracy)} | ${r.test.macro_f1.toFixed(4)} | ${rare
      .flatMap((c) => [`${pct(per[c].recall)} (${Math.round(per[c].recall * per[c].support)}/${per[c].support})`, per[c].precision.toFixed(4)])
      .join(' | ')} | ${r.best.epoch + 1} | ${pct(r.best.valAccuracy)} | ${minutes.toFixed(0)} min | ${medianRate.toFixed(2)} |`,
  );
}
console.log(`\nRarest classes by training images: ${rare.map((c) => `${c} (${counts[c]})`).join(', ')}.`);
console.log('Per-class test recall:');
for (const { dir, r } of reports) console.log(`- ${path.basename(dir)}: ${r.test.per_class.map((c) => `${c.class} ${c.recall.toFixed(2)}`).join(', ')}`);
