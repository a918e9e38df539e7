// bench/train-step: training images/s of MA-ViT (CBAM + ViT-Ti/16) at 224×224, batch 32, on this machine's
// CPU, through the real engine (worker thread, Loop train chunk, AdamW), against PyTorch eager on the same
// model, batch and thread count (bench/train-step.py, Debian's python3-torch). Orelab chunks and PyTorch
// steps alternate, so both see the same machine state (other work on the box moves both alike); medians are
// reported. Also: achieved GFLOP/s from the model's analytic training FLOPs against the float32 MatMul rate
// of ORT measured in the same run. Random initialisation (speed does not depend on the weights).
//
//   npm run bench -- train-step [--chunks 4] [--k 2] [--batch 32] [--threads 2] [--no-pytorch]
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import os from 'node:os';
import { parseArgs } from 'node:util';
import { TrainingEngine } from '../src/main/engine/runtime/engine';
import { presetModel } from '../src/main/engine/models/mavit';
import type { ModelConfig } from '../src/main/engine/models/mavit';
import { trainingFlopsPerImage } from '../src/main/engine/models/flops';
import { Rng } from '../src/main/engine/graph/random';
import { GraphBuilder } from '../src/main/engine/graph/builder';
import { encodeModel } from '../src/main/engine/graph/encode';
import * as op from '../src/main/engine/ops/index';
import { createSession, ort } from '../src/main/engine/runtime/session';
import type { ChunkData } from '../src/main/engine/runtime/protocol';

const { values: args } = parseArgs({
  options: {
    chunks: { type: 'string', default: '4' },
    k: { type: 'string', default: '2' },
    batch: { type: 'string', default: '32' },
    threads: { type: 'string', default: '2' },
    'no-pytorch': { type: 'boolean', default: false },
  },
});
const CHUNKS = Number(args.chunks);
const K = Number(args.k);
const B = Number(args.batch);
const THREADS = Number(args.threads);
const CLASSES = 7;

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
const fmt = (x: number, d = 2) => x.toFixed(d);

async function matmulRate(n: number): Promise<number> {
  const g = new GraphBuilder('matmul');
  g.output(op.matmul(g.input('a', 'float32', [n, n]), g.input('b', 'float32', [n, n])), 'c');
  const { session } = await createSession(encodeModel(g), { providers: ['cpu'], intraOpThreads: THREADS });
  const rng = new Rng(1);
  const data = () => Float32Array.from({ length: n * n }, () => rng.uniform(-1, 1));
  const feeds = { a: new ort.Tensor('float32', data(), [n, n]), b: new ort.Tensor('float32', data(), [n, n]) };
  const times: number[] = [];
  for (let i = 0; i < 7; i++) {
    const t0 = performance.now();
    await session.run(feeds);
    if (i > 0) times.push(performance.now() - t0);
  }
  await session.release();
  return (2 * n ** 3) / (median(times) / 1000) / 1e9;
}

function makeChunk(index: number, slots: number, rates: readonly number[]): ChunkData {
  const rng = new Rng(100 + index);
  const images = new Float32Array(K * B * 3 * 224 * 224);
  for (let i = 0; i < images.length; i++) images[i] = rng.next() * 2 - 1;
  const labels = Int32Array.from({ length: K * B }, () => rng.int(CLASSES));
  const dropMasks = new Float32Array(K * slots * B);
  for (let k = 0; k < K; k++) for (let s = 0; s < slots; s++) for (let b = 0; b < B; b++) dropMasks[(k * slots + s) * B + b] = rng.next() < 1 - rates[s]! ? 1 : 0;
  return { images, labels, dropMasks, lrs: new Float32Array(K).fill(3e-5) };
}

interface TorchServer {
  steps(n: number): Promise<number[]>;
  info: { torch: string; threads: number };
  close(): void;
}

async function startTorch(): Promise<TorchServer | null> {
  const child = spawn('/usr/bin/python3', ['bench/train-step.py', '--serve', '--threads', String(THREADS), '--batch', String(B), '--classes', String(CLASSES)], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout });
  const waiting: ((line: string) => void)[] = [];
  lines.on('line', (l) => waiting.shift()?.(l));
  const next = () => new Promise<string>((resolve, reject) => {
    waiting.push(resolve);
    child.once('exit', (code) => reject(new Error(`PyTorch bench exited (${code})`)));
  });
  try {
    const ready = JSON.parse(await next()) as { torch: string; threads: number };
    return {
      info: ready,
      async steps(n) {
        child.stdin.write(`steps ${n}\n`);
        return (JSON.parse(await next()) as { step_s: number[] }).step_s;
      },
      close() {
        child.stdin.end();
      },
    };
  } catch (err) {
    console.log(`PyTorch not available: ${(err as Error).message}`);
    return null;
  }
}

const modelDef = presetModel('mavit', 'vit-ti', CLASSES);
const config = modelDef.config as unknown as ModelConfig;
const flopsPerImage = trainingFlopsPerImage(config);
console.log(`machine: ${os.cpus()[0]?.model ?? '?'}, ${os.cpus().length} cores, ${fmt(os.totalmem() / 2 ** 30, 0)} GiB; node ${process.version}; onnxruntime-node ${ort.env.versions.common}`);
console.log(`model: MA-ViT (CBAM ${config.variant === 'mavit' ? config.cbam.gate : '-'} gate + ViT-Ti/16) at 224, ${CLASSES} classes, batch ${B}, ${K} steps per chunk, ${THREADS} threads`);
console.log(`training FLOPs (analytic, GEMM/attention/conv): ${fmt(flopsPerImage / 1e9)} GFLOP per image`);

const mm = await matmulRate(2048);
console.log(`ORT float32 MatMul 2048^3: ${fmt(mm, 1)} GFLOP/s`);

const t0 = performance.now();
const engine = await TrainingEngine.start({
  model: config,
  batchSize: B,
  stepsPerChunk: K,
  classWeights: Array.from({ length: CLASSES }, (_, i) => 0.5 + i / CLASSES),
  adamw: { weightDecay: 0.01 },
  init: { kind: 'seed', seed: 1 },
  intraOpThreads: THREADS,
});
console.log(`engine ready in ${fmt((performance.now() - t0) / 1000, 1)} s on ${engine.ready.provider}${engine.ready.skipped.map((s) => ` (skipped ${s.provider}: ${s.reason})`).join('')}`);
const torch = args['no-pytorch'] ? null : await startTorch();
if (torch) console.log(`PyTorch ${torch.info.torch}, ${torch.info.threads} threads`);

const rates = modelDef.dropPathRates;
const orelabTimes: number[] = [];
const torchTimes: number[] = [];
// Chunk 0 is warm-up for both (ORT grows its arena, PyTorch its caches); it is shown but not counted.
for (let c = 0; c <= CHUNKS; c++) {
  const r = await engine.trainChunk(makeChunk(c, engine.ready.dropPathSlots, rates));
  const perImage = r.runMs / 1000 / (K * B);
  let line = `chunk ${c}${c === 0 ? ' (warm-up)' : ''}: orelab ${fmt(r.runMs / 1000)} s for ${K * B} images = ${fmt(1 / perImage)} img/s, losses ${[...r.losses].map((l) => fmt(l, 3)).join(' ')}`;
  if (c > 0) orelabTimes.push(perImage);
  if (torch) {
    const steps = await torch.steps(K);
    const perImageTorch = steps.reduce((a, b) => a + b, 0) / (K * B);
    if (c > 0) torchTimes.push(perImageTorch);
    line += `; pytorch ${steps.map((s) => fmt(s)).join(' + ')} s = ${fmt(1 / perImageTorch)} img/s`;
  }
  console.log(line);
}
torch?.close();
await engine.close();

const orelab = 1 / median(orelabTimes);
console.log(`orelab: median ${fmt(orelab)} img/s over ${CHUNKS} chunks = ${fmt((orelab * flopsPerImage) / 1e9, 1)} GFLOP/s (${fmt((100 * orelab * flopsPerImage) / 1e9 / mm, 0)}% of the MatMul rate)`);
if (torch) {
  const pt = 1 / median(torchTimes);
  console.log(`pytorch: median ${fmt(pt)} img/s = ${fmt((pt * flopsPerImage) / 1e9, 1)} GFLOP/s (${fmt((100 * pt * flopsPerImage) / 1e9 / mm, 0)}% of the MatMul rate)`);
  console.log(`train-step: orelab ${fmt(orelab)} img/s, pytorch ${fmt(pt)} img/s, ratio ${fmt(orelab / pt)}`);
} else {
  console.log(`train-step: orelab ${fmt(orelab)} img/s, pytorch n/a img/s, ratio n/a`);
}
