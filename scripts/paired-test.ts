// Paired comparison of two models on the same labeled specimens (a catalogue split), for docs/results.md:
// node --import tsx scripts/paired-test.ts CATALOGUE SPLIT MODEL_A MODEL_B
// Both models must have been scored first (`orelab eval --model F --db CATALOGUE --split SPLIT`); a model is
// named by its id or a unique prefix, as everywhere in Orelab. Prints both accuracies, the discordant pairs,
// McNemar's exact two-sided p-value, and a bootstrap 95% interval of the accuracy difference (10,000
// resamples, fixed seed).
import { getModel, openDatabase } from '../src/main/catalogue';
import { mulberry32 } from '../src/main/jobs/train/augment';

const [file, split, a, b] = process.argv.slice(2);
if (!file || !split || !a || !b) {
  console.error('usage: node --import tsx scripts/paired-test.ts CATALOGUE SPLIT MODEL_A MODEL_B');
  process.exit(2);
}
const db = openDatabase(file, { readonly: true });
/** Whether the model got each specimen of the split right, by specimen id. */
const rows = (ref: string): Map<number, boolean> => {
  const model = getModel(db, ref);
  if (!model) throw new Error(`no model "${ref}" in ${file}`);
  const scored = db
    .prepare(
      `SELECT s.id, c.name AS label, p.predicted_class AS predicted FROM predictions p JOIN specimens s ON s.id = p.specimen_id
         JOIN classes c ON c.id = s.label_class_id WHERE s.split = ? AND p.model_id = ?`,
    )
    .all(split, model.id) as { id: number; label: string; predicted: string }[];
  return new Map(scored.map((r) => [r.id, r.label.toLowerCase() === r.predicted.toLowerCase()]));
};
let ra: Map<number, boolean>;
let rb: Map<number, boolean>;
try {
  ra = rows(a);
  rb = rows(b);
} catch (err) {
  console.error((err as Error).message);
  process.exit(1);
}
const ids = [...ra.keys()].filter((id) => rb.has(id));
if (ids.length === 0) {
  console.error('no specimen has predictions from both models on that split');
  process.exit(1);
}
const pairs = ids.map((id) => [ra.get(id)!, rb.get(id)!] as const);
const accA = pairs.filter(([x]) => x).length / pairs.length;
const accB = pairs.filter(([, y]) => y).length / pairs.length;
const onlyA = pairs.filter(([x, y]) => x && !y).length;
const onlyB = pairs.filter(([x, y]) => !x && y).length;
// McNemar's exact test: under H0 the discordant pairs split as Binomial(n, 1/2).
const n = onlyA + onlyB;
const choose = (n: number, k: number) => {
  let r = 1;
  for (let i = 1; i <= k; i++) r = (r * (n - k + i)) / i;
  return r;
};
let tail = 0;
for (let k = 0; k <= Math.min(onlyA, onlyB); k++) tail += choose(n, k) / 2 ** n;
const p = n === 0 ? 1 : Math.min(1, 2 * tail);
const random = mulberry32(12345);
const diffs: number[] = [];
for (let r = 0; r < 10000; r++) {
  let d = 0;
  for (let i = 0; i < pairs.length; i++) {
    const [x, y] = pairs[Math.floor(random() * pairs.length)]!;
    d += Number(x) - Number(y);
  }
  diffs.push(d / pairs.length);
}
diffs.sort((x, y) => x - y);
const pct = (x: number) => `${(100 * x).toFixed(2)}%`;
console.log(`${pairs.length} ${split} specimens: ${a} ${pct(accA)}, ${b} ${pct(accB)}; right only by ${a}: ${onlyA}, only by ${b}: ${onlyB}`);
console.log(`McNemar exact p = ${p.toFixed(3)}; bootstrap 95% interval of the accuracy difference (${a} − ${b}): [${pct(diffs[250]!)}, ${pct(diffs[9749]!)}]`);
