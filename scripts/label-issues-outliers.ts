// The outlier score's distribution on a catalogue (minerals7 for docs/results.md), to choose the threshold:
// each photo's mean cosine distance to its k nearest photos of other rocks, in the shipped ViT-Ti's embeddings.
//
//   node --import tsx scripts/label-issues-outliers.ts --db F [--k 10]   (after `orelab embed --db F`)
//
// Prints the quantiles, Tukey's fences (Q3 + 1.5 / 3 IQR) and how many photos each flags, and the top 30 photos
// with their labels and paths, to be looked at.
import { parseArgs } from 'node:util';
import { getEmbeddings, groupEmbeddingModel, openDatabase, photoGroups } from '../src/main/catalogue';
import { auditSpecimens } from '../src/main/catalogue/label-issues';
import { outlierScores, outlierThreshold, quantile } from '../src/main/jobs/label-issues/neighbours';

const { values } = parseArgs({ options: { db: { type: 'string' }, k: { type: 'string', default: '10' }, top: { type: 'string', default: '30' } } });
if (!values.db) throw new Error('--db F is required');
const db = openDatabase(values.db);
const model = groupEmbeddingModel(db);
if (!model) throw new Error('no shipped-backbone embeddings in this catalogue: run orelab embed first');
const vectors = new Map(getEmbeddings(db, model).map((e) => [e.specimenId, e.vector]));
const { groupOf } = photoGroups(db);
const specimens = auditSpecimens(db).filter((s) => vectors.has(s.id));
const k = Number(values.k);
const scores = outlierScores(
  specimens.map((s) => ({ id: s.id, group: groupOf.get(s.id) ?? s.id, vector: vectors.get(s.id)! })),
  k,
);
const sorted = [...scores].sort((a, b) => a - b);
console.log(`${specimens.length} photos, k = ${k}`);
console.log(['min', 0, 'q05', 0.05, 'q25', 0.25, 'median', 0.5, 'q75', 0.75, 'q95', 0.95, 'q99', 0.99, 'max', 1].reduce<string[]>((acc, v, i, all) => (i % 2 === 0 ? [...acc, `${String(v)} ${quantile(sorted, all[i + 1] as number).toFixed(4)}`] : acc), []).join(', '));
for (const iqrs of [1.5, 2, 3]) {
  const t = outlierThreshold(scores, iqrs);
  console.log(`Q3 + ${iqrs} IQR = ${t.toFixed(4)}: ${scores.filter((s) => s > t).length} photos above`);
}
const order = scores.map((s, i) => ({ s, i })).sort((a, b) => b.s - a.s).slice(0, Number(values.top));
for (const { s, i } of order) console.log(`${s.toFixed(4)}  ${specimens[i]!.id}  ${specimens[i]!.label ?? '--'}  ${specimens[i]!.path}`);
db.close();
