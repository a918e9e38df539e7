// bench/quantize: fp32 vs int8 (orelab quantize) MA-ViT-Ti, raw inference on the same in-memory tensors,
// interleaved in one run, with the inference worker's session settings (level 'extended', no spinning, one
// intra-op thread per session). Prints the kernels ORT's optimized graphs run (optimizedModelFilePath) and the
// kernel time per op type of the int8 session, so a speedup (or its absence) can be traced to the kernels.
// Weights are random-init (timing depends on shapes only); agreement is measured by `orelab quantize --db`.
//
//   npm run bench -- quantize [--rounds 12] [--batch 8] [--threads 1] [--keep-float REGEX]
//   last line: quantize: fp32 raw X img/s, int8 raw Y img/s, speedup Z (n rounds)
import { rmSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { presetModel } from '../src/main/engine/models/mavit';
import { initParams } from '../src/main/engine/models/model';
import { buildForwardGraph } from '../src/main/engine/export/forward';
import { quantizeModel } from '../src/main/engine/export/quantize';
import { createSession, ort } from '../src/main/engine/runtime/session';
import { countNodes, endProfiling, formatCounts } from './lib/ort-profile';

const { values: args } = parseArgs({ options: { rounds: { type: 'string', default: '12' }, batch: { type: 'string', default: '8' }, threads: { type: 'string', default: '1' }, 'keep-float': { type: 'string' } } });
const ROUNDS = Number(args.rounds);
const B = Number(args.batch);
const dir = mkdtempSync(join(tmpdir(), 'orelab-bench-quantize-'));

const model = presetModel('mavit', 'vit-ti', 7);
const fp32 = buildForwardGraph(model, { batchSize: B, params: initParams(model, 1) });
const q = quantizeModel(fp32, 'vit-ti (random init)', args['keep-float'] ? { keepFloat: new RegExp(args['keep-float']) } : {});
console.log(`fp32 ${(fp32.length / 1e6).toFixed(1)} MB, int8 ${(q.bytes.length / 1e6).toFixed(1)} MB; ${q.quantized.length} Linear layers in int8, kept float: ${q.keptFloat.map((k) => k.weight).join(', ')}`);
const open = (bytes: Uint8Array, name: string, profile: boolean) =>
  createSession(bytes, { providers: ['cpu'], intraOpThreads: Number(args.threads), spinning: false, optimizationLevel: 'extended', optimizedModelPath: join(dir, `${name}.opt.onnx`), enableProfiling: profile, ...(profile ? { profilePrefix: join(dir, 'profile-int8') } : {}) });
const s32 = (await open(fp32, 'fp32', false)).session;
const s8 = (await open(q.bytes, 'int8', false)).session;
const images = new ort.Tensor('float32', Float32Array.from({ length: B * 3 * 224 * 224 }, (_, i) => Math.sin(i) * 0.5), [B, 3, 224, 224]);
// Warm-up (arena growth), then rounds of one batch each, interleaved so background load hits both alike.
await s32.run({ images });
await s8.run({ images });
const rate = { fp32: [] as number[], int8: [] as number[] };
for (let r = 0; r < ROUNDS; r++) {
  for (const [name, s] of [['fp32', s32], ['int8', s8]] as const) {
    const t0 = performance.now();
    await s.run({ images });
    rate[name].push((B * 1000) / (performance.now() - t0));
  }
  console.log(`round ${r}: fp32 ${rate.fp32.at(-1)!.toFixed(1)} img/s, int8 ${rate.int8.at(-1)!.toFixed(1)} img/s`);
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
// The kernel profile from a separate int8 session (profiling would slow the timed one): 3 runs after a warm-up.
const sp = (await open(q.bytes, 'int8-profiled', true)).session;
for (let r = 0; r < 4; r++) await sp.run({ images });
const events = endProfiling(sp, dir);
await sp.release();
const byOp = new Map<string, number>();
for (const e of events) if (e.cat === 'Node' && e.name.endsWith('_kernel_time')) byOp.set(e.args?.op_name ?? '?', (byOp.get(e.args?.op_name ?? '?') ?? 0) + e.dur);
const total = [...byOp.values()].reduce((a, b) => a + b, 0);
console.log(`\nint8 kernel time by op type (all runs): ${[...byOp].sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ${((100 * v) / total).toFixed(1)}%`).join(', ')}`);
console.log(`fp32 optimized graph: ${formatCounts(countNodes(join(dir, 'fp32.opt.onnx')))}`);
console.log(`int8 optimized graph: ${formatCounts(countNodes(join(dir, 'int8.opt.onnx')))}`);
await s32.release();
await s8.release();
rmSync(dir, { recursive: true, force: true });
const f = median(rate.fp32);
const i8 = median(rate.int8);
console.log(`quantize: fp32 raw ${f.toFixed(1)} img/s, int8 raw ${i8.toFixed(1)} img/s, speedup ${(i8 / f).toFixed(2)} (medians of ${ROUNDS} interleaved rounds, batch ${B}, ${args.threads} thread)`);
