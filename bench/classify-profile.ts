// bench/classify-profile: where the time of one MA-ViT-Ti inference batch goes. Runs the exported forward
// graph (parameters as initializers, as in model.onnx) in an ORT session with the profiler on, and prints
// kernel time per op type over the last runs, plus the op counts of ORT's optimized graph (to see what it
// fused). Kernel-time shares are robust to background load; the wall times are not.
//
// Session settings are the inference worker's (optimisation level 'extended', no spinning, one intra-op
// thread: each of the classifier's two workers has one core on the 2-core box).
//
//   npm run bench -- classify-profile [--runs 8] [--batch 8] [--threads 1] [--level extended|all]
import { rmSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { presetModel } from '../src/main/engine/models/mavit';
import { initParams } from '../src/main/engine/models/model';
import { buildForwardGraph } from '../src/main/engine/export/forward';
import { createSession, ort } from '../src/main/engine/runtime/session';
import { countNodes, endProfiling, formatCounts, type ProfileEvent } from './lib/ort-profile';

const { values: args } = parseArgs({
  options: {
    runs: { type: 'string', default: '8' },
    batch: { type: 'string', default: '8' },
    threads: { type: 'string', default: '1' },
    level: { type: 'string', default: 'extended' },
  },
});
const RUNS = Number(args.runs);
const B = Number(args.batch);
const dir = mkdtempSync(join(tmpdir(), 'orelab-classify-profile-'));

const model = presetModel('mavit', 'vit-ti', 7);
const bytes = buildForwardGraph(model, { batchSize: B, params: initParams(model, 1) });
const optimized = join(dir, 'optimized.onnx');
const { session } = await createSession(bytes, {
  providers: ['cpu'],
  intraOpThreads: Number(args.threads),
  spinning: false,
  optimizationLevel: args.level === 'all' ? 'all' : 'extended',
  optimizedModelPath: optimized,
  enableProfiling: true,
  profilePrefix: join(dir, 'profile'),
});
const images = new ort.Tensor('float32', Float32Array.from({ length: B * 3 * 224 * 224 }, (_, i) => Math.sin(i) * 0.5), [B, 3, 224, 224]);
for (let i = 0; i < RUNS; i++) {
  const t0 = performance.now();
  await session.run({ images });
  const ms = performance.now() - t0;
  console.log(`run ${i}: ${ms.toFixed(0)} ms, ${((B * 1000) / ms).toFixed(2)} img/s`);
}
const events = endProfiling(session, dir);
// The first runs grow ORT's arena; the second half of the runs is the steady state.
const runs = events.filter((e) => e.name === 'model_run').slice(Math.floor(RUNS / 2));
const inRun = (e: ProfileEvent) => runs.some((r) => e.ts >= r.ts && e.ts <= r.ts + r.dur);
const byOp = new Map<string, { ms: number; n: number }>();
const byNode = new Map<string, number>();
for (const e of events) {
  if (e.cat !== 'Node' || !e.name.endsWith('_kernel_time') || !inRun(e)) continue;
  const op = e.args?.op_name ?? '?';
  const s = byOp.get(op) ?? { ms: 0, n: 0 };
  s.ms += e.dur / 1000 / runs.length;
  s.n++;
  byOp.set(op, s);
  const node = e.name.slice(0, -'_kernel_time'.length);
  byNode.set(node, (byNode.get(node) ?? 0) + e.dur / 1000 / runs.length);
}
const total = [...byOp.values()].reduce((a, b) => a + b.ms, 0);
const runMs = runs.reduce((a, r) => a + r.dur / 1000, 0) / runs.length;
console.log(`\nkernel time per run by op type (${total.toFixed(1)} ms kernels, ${runMs.toFixed(1)} ms model_run; mean of the last ${runs.length} runs):`);
for (const [op, s] of [...byOp.entries()].sort((a, b) => b[1].ms - a[1].ms)) {
  console.log(`  ${op.padEnd(26)} ${s.ms.toFixed(2).padStart(8)} ms ${((100 * s.ms) / total).toFixed(1).padStart(5)}%  ${String(s.n / runs.length).padStart(5)} nodes`);
}
console.log('\nslowest nodes:');
for (const [n, ms] of [...byNode.entries()].sort((a, b) => b[1] - a[1]).slice(0, 12)) console.log(`  ${n.padEnd(50)} ${ms.toFixed(2).padStart(8)} ms`);

console.log(`\nnodes in ORT's optimized graph:\n  ${formatCounts(countNodes(optimized))}`);
await session.release();
if (process.env.KEEP_PROFILE) console.log(`kept ${dir}`);
else rmSync(dir, { recursive: true, force: true });
