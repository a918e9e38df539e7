// The engine worker also starts from an esbuild bundle (as dist/main/cli.js + dist/main/engine-worker.js
// are built by scripts/build.mjs), under plain node without tsx.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { spawnSync } from 'node:child_process';
import { build } from 'esbuild';

const root = resolve(import.meta.dirname, '..', '..');

test('a bundled app starts the bundled engine-worker.js and trains a chunk (no tsx)', async () => {
  // Inside node_modules/.cache so the bundle's externals (onnxruntime-node, onnx-proto) resolve.
  const dir = join(root, 'node_modules', '.cache', `orelab-engine-bundle-${process.pid}`);
  mkdirSync(dir, { recursive: true });
  try {
    const entry = join(dir, 'check.ts');
    const src = (p: string) => JSON.stringify(join(root, p));
    writeFileSync(
      entry,
      `import { TrainingEngine } from ${src('src/main/engine/runtime/engine.ts')};
import { toyChunk, toyModel } from ${src('test/engine/toy.ts')};
const engine = await TrainingEngine.start({ model: toyModel({ dropPathRate: 0 }), batchSize: 2, stepsPerChunk: 1, classWeights: [1, 1, 1], init: { kind: 'seed', seed: 1 }, providers: ['cpu'] });
const r = await engine.trainChunk(toyChunk(0, 1, 2, engine.ready.dropPathSlots, [], 1e-3));
await engine.close();
console.log(JSON.stringify({ step: r.step, loss: r.losses[0] }));
`,
    );
    const common = {
      bundle: true,
      platform: 'node' as const,
      target: 'node20',
      format: 'esm' as const,
      outdir: dir,
      external: ['onnxruntime-node', 'onnx-proto', 'protobufjs'],
      logLevel: 'silent' as const,
      banner: { js: "import { createRequire as __orelabRequire } from 'node:module'; const require = __orelabRequire(import.meta.url);" },
    };
    await build({ ...common, entryPoints: { check: entry, 'engine-worker': join(root, 'src/main/engine/runtime/worker.ts') } });
    const run = spawnSync(process.execPath, [join(dir, 'check.js')], { encoding: 'utf8', timeout: 120_000 });
    assert.equal(run.status, 0, run.stderr);
    const out = JSON.parse(run.stdout.trim().split('\n').pop()!) as { step: number; loss: number };
    assert.equal(out.step, 1);
    assert.ok(Number.isFinite(out.loss));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
