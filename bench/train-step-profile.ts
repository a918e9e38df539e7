// bench/train-step-profile: where the time of one MA-ViT-Ti training step goes. Runs the train-chunk session
// directly (no worker) with ORT's profiler on, and prints kernel time per op type for the last run, plus the
// op counts of ORT's optimized graph (to see what it fused). For finding the next thing to speed up.
//
//   npm run bench -- train-step-profile [--runs 3] [--k 1] [--batch 32] [--threads 2]
import { rmSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { presetModel } from '../src/main/engine/models/mavit';
import { initParams } from '../src/main/engine/models/model';
import { buildTrainChunk, chunkNames } from '../src/main/engine/train/chunk';
import { createSession, ort } from '../src/main/engine/runtime/session';
import { countNodes, endProfiling, formatCounts } from './lib/ort-profile';

const { values: args } = parseArgs({
  options: { runs: { type: 'string', default: '3' }, k: { type: 'string', default: '1' }, batch: { type: 'string', default: '32' }, threads: { type: 'string', default: '2' } },
});
const RUNS = Number(args.runs);
const K = Number(args.k);
const B = Number(args.batch);
const CLASSES = 7;
const dir = mkdtempSync(join(tmpdir(), 'orelab-profile-'));

const model = presetModel('mavit', 'vit-ti', CLASSES);
const chunk = buildTrainChunk(model, { batchSize: B, steps: K });
const optimized = join(dir, 'optimized.onnx');
const { session } = await createSession(chunk.bytes, {
  providers: ['cpu'],
  intraOpThreads: Number(args.threads),
  optimizedModelPath: optimized,
  enableProfiling: true,
  profilePrefix: join(dir, 'profile'),
});

const params = initParams(model, 1);
const feeds: Record<string, ort.Tensor> = {};
for (const p of model.params) {
  const n = params.get(p.name)!.length;
  feeds[p.name] = new ort.Tensor('float32', params.get(p.name)!, [...p.shape]);
  feeds[chunkNames.m(p.name)] = new ort.Tensor('float32', new Float32Array(n), [...p.shape]);
  feeds[chunkNames.v(p.name)] = new ort.Tensor('float32', new Float32Array(n), [...p.shape]);
}
feeds[chunkNames.step] = new ort.Tensor('int64', BigInt64Array.from([0n]), []);
feeds[chunkNames.images] = new ort.Tensor('float32', Float32Array.from({ length: K * B * 3 * 224 * 224 }, (_, i) => Math.sin(i) * 0.5), chunk.shapes.images);
feeds[chunkNames.labels] = new ort.Tensor('int64', BigInt64Array.from({ length: K * B }, (_, i) => BigInt(i % CLASSES)), chunk.shapes.labels);
feeds[chunkNames.dropMasks] = new ort.Tensor('float32', new Float32Array(chunk.shapes.dropMasks.reduce((a, b) => a * b, 1)).fill(1), chunk.shapes.dropMasks);
feeds[chunkNames.lrs] = new ort.Tensor('float32', new Float32Array(K).fill(1e-4), [K]);
feeds[chunkNames.classWeights] = new ort.Tensor('float32', new Float32Array(CLASSES).fill(1), [CLASSES]);

for (let i = 0; i < RUNS; i++) {
  const t0 = performance.now();
  await session.run(feeds);
  const ms = performance.now() - t0;
  console.log(`run ${i}: ${ms.toFixed(0)} ms, ${((K * B * 1000) / ms).toFixed(2)} img/s`);
}
const events = endProfiling(session, dir);
const runs = events.filter((e) => e.name === 'model_run');
const last = runs[runs.length - 1]!;
const byOp = new Map<string, { ms: number; n: number }>();
for (const e of events) {
  if (e.cat !== 'Node' || !e.name.endsWith('_kernel_time') || e.ts < last.ts || e.ts > last.ts + last.dur) continue;
  const op = e.args?.op_name ?? '?';
  if (op === 'Loop') continue; // the Loop node's time is the sum of its body's kernels, listed below
  const s = byOp.get(op) ?? { ms: 0, n: 0 };
  s.ms += e.dur / 1000;
  s.n++;
  byOp.set(op, s);
}
const total = [...byOp.values()].reduce((a, b) => a + b.ms, 0);
console.log(`\nkernel time of the last run by op type (${total.toFixed(0)} ms in all):`);
for (const [op, s] of [...byOp.entries()].sort((a, b) => b[1].ms - a[1].ms).slice(0, 25)) {
  console.log(`  ${op.padEnd(22)} ${s.ms.toFixed(1).padStart(8)} ms ${((100 * s.ms) / total).toFixed(1).padStart(5)}%  ${String(s.n).padStart(5)} nodes`);
}

console.log(`\nnodes in ORT's optimized graph (Loop body included):\n  ${formatCounts(countNodes(optimized))}`);
await session.release();
rmSync(dir, { recursive: true, force: true });
