// Builds the Node side (CLI, engine worker, Electron main and preload) with esbuild. Native modules stay
// external: they are loaded from node_modules at run time (and unpacked from asar when packaged).
// The renderer is built by Vite (npm run build:renderer).
import { build } from 'esbuild';
import { rmSync } from 'node:fs';

const external = ['better-sqlite3', 'onnxruntime-node', 'sharp', 'electron', 'onnx-proto', 'protobufjs', 'zod', 'ws', 'playwright-core'];
const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  sourcemap: true,
  external,
  logLevel: 'warning',
};

rmSync('dist/main', { recursive: true, force: true });
await build({
  ...common,
  format: 'esm',
  entryPoints: {
    cli: 'src/main/cli/main.ts',
    app: 'src/main/app/main.ts',
    harness: 'src/main/harness/main.ts',
    'inference-worker': 'src/main/jobs/inference/worker.ts',
    'engine-worker': 'src/main/engine/runtime/worker.ts',
  },
  outdir: 'dist/main',
  // Bundled ESM still needs require() for the CommonJS externals' own imports.
  banner: { js: "import { createRequire as __orelabRequire } from 'node:module'; const require = __orelabRequire(import.meta.url);" },
});
// Electron's preload: CommonJS, because a sandboxed preload cannot be an ES module.
await build({ ...common, format: 'cjs', entryPoints: { preload: 'src/main/app/preload.ts' }, outdir: 'dist/main', outExtension: { '.js': '.cjs' } });
// The harness's window.orelab (HTTP + WebSocket), a browser script served only by `npm run harness`.
await build({ ...common, platform: 'browser', target: 'chrome120', format: 'esm', entryPoints: { bridge: 'src/renderer/harness-bridge.ts' }, outdir: 'dist/harness' });
console.log('built dist/main');
