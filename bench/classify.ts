// bench/classify: end-to-end `orelab classify` over a folder (minerals7 copied several times) as images per
// second, against the raw model throughput on tensors already in memory (the same model.onnx, the same
// batch, the same inference worker), and PyTorch eager's model-only throughput on the same architecture.
// The three are measured in interleaved rounds so that they share the machine's state (raw before and after
// each CLI run); medians reported. Then test-time augmentation's cost: `classify --tta` end to end over the
// first copy (8 model images per photo, so one run over a third of the photos), and raw through the same
// augmenting wrapper, reported as a line of its own before the last line.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { spawn, spawnSync } from 'node:child_process';
import { presetModel } from '../src/main/engine/models/mavit';
import { initParams } from '../src/main/engine/models/model';
import { readSafetensors } from '../src/main/engine/pretrained/safetensors';
import { toTimmVit } from '../src/main/engine/pretrained/vit-names';
import { fitPretrained } from '../src/main/engine/pretrained/fit';
import { exportClassifier } from '../src/main/jobs/train/export';
import { AUGREG_PREPROCESS } from '../src/main/images/preprocess';
import { OnnxClassifier } from '../src/main/jobs/inference/classifier';
import { withTestTimeAugmentation, type BatchClassifier } from '../src/main/jobs/batch-classifier';

const ROOT = path.resolve(import.meta.dirname, '..');
const DATASET = path.resolve(ROOT, '../shared/datasets/minerals7');
const COPIES = Number(process.env.BENCH_COPIES ?? 3);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const BATCH = 8;
const RAW_BATCHES = Number(process.env.BENCH_RAW_BATCHES ?? 24);
const CLASSES = ['biotite', 'bornite', 'chrysocolla', 'malachite', 'muscovite', 'pyrite', 'quartz'];
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'orelab-bench-classify-'));
try {
  // MA-ViT-Ti with the shipped pretrained backbone (CBAM and head at their initialisation): the architecture
  // and cost of a trained model.
  const model = presetModel('mavit', 'vit-ti', CLASSES.length);
  const params = initParams(model, 0);
  const weights = path.join(ROOT, 'resources/models/vit_tiny_patch16_224_augreg_in1k.safetensors');
  for (const [name, t] of fitPretrained(toTimmVit(readSafetensors(weights).tensors).tensors, model.params).values) params.set(name, t.data);
  const modelPath = path.join(work, 'model.onnx');
  exportClassifier(modelPath, { model, params, variant: 'mavit', backbone: 'vit-ti', classes: CLASSES, preprocessing: AUGREG_PREPROCESS, weightsSource: 'bench', trainingRun: null, datasetSha256: null, metrics: [], batchSize: BATCH });

  const folder = path.join(work, 'photos');
  // Each copy's photos get distinct bytes (a JPEG comment segment after SOI naming the copy): classification
  // reuses the result of bytes it has already classified in the run, so plain copies would measure one
  // inference per three photos, not the whole pipeline.
  for (let c = 0; c < COPIES; c++) {
    for (const rel of fs.readdirSync(DATASET, { recursive: true }) as string[]) {
      const src = path.join(DATASET, rel);
      if (!rel.endsWith('.jpg') || !fs.statSync(src).isFile()) continue;
      const bytes = fs.readFileSync(src);
      const note = Buffer.from(`orelab bench copy ${c}`);
      const comment = Buffer.concat([Buffer.from([0xff, 0xfe, 0, note.length + 2]), note]);
      const dest = path.join(folder, `copy${c}`, rel);
      fs.mkdirSync(path.dirname(dest), { recursive: true });
      fs.writeFileSync(dest, Buffer.concat([bytes.subarray(0, 2), comment, bytes.subarray(2)]));
    }
  }

  const countImages = (dir: string) => (fs.readdirSync(dir, { recursive: true }) as string[]).filter((f) => f.endsWith('.jpg')).length;
  const images = countImages(folder);
  if (spawnSync(process.execPath, ['scripts/build.mjs'], { cwd: ROOT, stdio: 'inherit' }).status !== 0) throw new Error('build failed');
  const e2e = async (round: number, options: { tta?: boolean; folder?: string } = {}): Promise<number> => {
    const csv = path.join(work, `round${round}${options.tta ? '-tta' : ''}.csv`);
    const from = options.folder ?? folder;
    const expected = countImages(from);
    const started = performance.now();
    const args = ['dist/main/cli.js', 'classify', from, '--model', modelPath, '--csv', csv, '--batch', String(BATCH), '--json', ...(options.tta ? ['--tta'] : [])];
    const r = spawnSync(process.execPath, args, { cwd: ROOT, encoding: 'utf8', maxBuffer: 1 << 26 });
    const seconds = (performance.now() - started) / 1000;
    if (r.status !== 0) throw new Error(`classify failed: ${r.stderr}`);
    const summary = JSON.parse(r.stdout) as { classified: number };
    if (summary.classified !== expected) throw new Error(`classified ${summary.classified} of ${expected}`);
    return expected / seconds;
  };

  const classifier = await OnnxClassifier.open(modelPath);
  const tensors = new Float32Array(BATCH * 3 * 224 * 224).map((_, i) => Math.sin(i * 0.001));
  await classifier.classify(tensors, BATCH);
  // Batches of 8 with as many in flight as the classifier has workers, and probabilities only (no attention
  // map), as `orelab classify` asks for them.
  // Returns [images, seconds].
  // Each call takes as many images as the model says it takes at once (the augmenting one: one photo, whose
  // 8 views fill a batch).
  const raw = async (batches: number, model: Pick<BatchClassifier, 'classify' | 'maxBatch'> = classifier): Promise<[number, number]> => {
    const perCall = Math.min(BATCH, model.maxBatch);
    const started = performance.now();
    let issued = 0;
    const lane = async () => {
      while (issued < batches) {
        issued++;
        await model.classify(tensors, perCall);
      }
    };
    await Promise.all(Array.from({ length: classifier.concurrency }, lane));
    return [batches * perCall, (performance.now() - started) / 1000];
  };

  const torch = spawn('/usr/bin/python3', [path.join(ROOT, 'bench/classify.py'), '--serve', '--threads', '2', '--batch', String(BATCH)], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = readline.createInterface({ input: torch.stdout })[Symbol.asyncIterator]();
  const ready = JSON.parse(((await lines.next()).value as string | undefined) ?? '{}') as { torch?: string; threads?: number };
  const pytorch = async (): Promise<number> => {
    torch.stdin.write(`batches ${Math.max(3, RAW_BATCHES / 4)}\n`);
    const { batch_s } = JSON.parse((await lines.next()).value as string) as { batch_s: number[] };
    return BATCH / median(batch_s);
  };

  console.log(`${images} images (minerals7 ×${COPIES}); MA-ViT-Ti 224, batch ${BATCH}; ${os.cpus().length} cores; ${classifier.concurrency} inference workers; PyTorch ${ready.torch} eager, ${ready.threads} threads; ${ROUNDS} rounds`);
  const results = { e2e: [] as number[], raw: [] as number[], pytorch: [] as number[] };
  for (let round = 0; round < ROUNDS; round++) {
    // Half the raw batches before the CLI run and half after: background load on a shared box comes and goes
    // within the e2e run's minute, and raw brackets it.
    const [n1, s1] = await raw(Math.ceil(RAW_BATCHES / 2));
    results.e2e.push(await e2e(round));
    const [n2, s2] = await raw(Math.floor(RAW_BATCHES / 2));
    results.raw.push((n1 + n2) / (s1 + s2));
    results.pytorch.push(await pytorch());
    console.log(`round ${round + 1}: e2e ${results.e2e.at(-1)!.toFixed(2)} img/s, raw ${results.raw.at(-1)!.toFixed(2)} img/s, pytorch ${results.pytorch.at(-1)!.toFixed(2)} img/s`);
  }
  torch.stdin.end();
  // TTA after the plain rounds: one e2e run (a third of the photos, each 8 model images) bracketed by raw TTA.
  const augmenting = withTestTimeAugmentation(classifier);
  const ttaCalls = Math.max(classifier.concurrency, Math.ceil(RAW_BATCHES / 2));
  const [t1, u1] = await raw(ttaCalls, augmenting);
  const ttaFolder = path.join(folder, 'copy0');
  const ttaE2e = await e2e(ROUNDS, { tta: true, folder: ttaFolder });
  const [t2, u2] = await raw(ttaCalls, augmenting);
  const ttaRaw = (t1 + t2) / (u1 + u2);
  await classifier.close();
  const [e, r, p] = [median(results.e2e), median(results.raw), median(results.pytorch)];
  console.log(`e2e = the orelab CLI from start to finish: scan, read, sha256, decode + resize (sharp), batched inference in workers, CSV; raw = the same model through the same classifier on in-memory tensors (batches of ${BATCH}, ${classifier.concurrency} in flight)`);
  console.log(`orelab raw / pytorch eager: ${(r / p).toFixed(2)}x (goal >= 3x)`);
  console.log(
    `classify --tta (8 views per photo): e2e ${ttaE2e.toFixed(1)} img/s over ${countImages(ttaFolder)} photos (1 run), raw ${ttaRaw.toFixed(1)} img/s (${2 * ttaCalls * augmenting.maxBatch} photos); ${(e / ttaE2e).toFixed(1)}x the plain e2e time per photo, ${(r / ttaRaw).toFixed(1)}x raw`,
  );
  console.log(`classify: e2e ${e.toFixed(1)} img/s, raw ${r.toFixed(1)} img/s, ratio ${(e / r).toFixed(2)}, pytorch ${p.toFixed(1)} img/s`);
} finally {
  fs.rmSync(work, { recursive: true, force: true });
}
