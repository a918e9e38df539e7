// The range of an MA-ViT model's CBAM spatial attention over a catalogue split, for docs/results.md:
// node --import tsx scripts/attention-range.ts CATALOGUE MODEL.onnx [SPLIT]
// Each photo is prepared as in evaluation (the catalogue's preprocessing cache, no augmentation).
import Database from 'better-sqlite3';
import { cacheDirForCatalogue, PreprocessCache } from '../src/main/images/preprocess';
import { IDENTITY, writeNormalizedChw } from '../src/main/jobs/train/augment';
import { OnnxClassifier } from '../src/main/jobs/inference/classifier';

const [catalogue, modelFile, split = 'test'] = process.argv.slice(2);
if (!catalogue || !modelFile) {
  console.error('usage: node --import tsx scripts/attention-range.ts CATALOGUE MODEL.onnx [SPLIT]');
  process.exit(2);
}
const db = new Database(catalogue, { readonly: true });
const specimens = db.prepare('SELECT sha256, path FROM specimens WHERE split = ? ORDER BY id').all(split) as { sha256: string; path: string }[];
db.close();
const classifier = await OnnxClassifier.open(modelFile);
const spec = classifier.preprocessing;
const cache = new PreprocessCache(cacheDirForCatalogue(catalogue), spec);
let low = Infinity;
let high = -Infinity;
for (const s of specimens) {
  const input = new Float32Array(3 * spec.size * spec.size);
  writeNormalizedChw(await cache.get(s.sha256, s.path), spec.size, IDENTITY, spec, input, 0);
  const { attention } = await classifier.run(input, 1);
  if (!attention) throw new Error(`${modelFile} has no attention output (not an MA-ViT model)`);
  for (const a of attention) {
    low = Math.min(low, a);
    high = Math.max(high, a);
  }
}
await classifier.close();
console.log(`${specimens.length} ${split} photos: spatial attention in [${low.toFixed(4)}, ${high.toFixed(4)}]`);
