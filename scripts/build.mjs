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
  entryPoints: { cli: 'src/main/cli/main.ts' },
  outdir: 'dist/main',
  // Bundled ESM still needs require() for the CommonJS externals' own imports.
  banner: { js: "import { createRequire as __orelabRequire } from 'node:module'; const require = __orelabRequire(import.meta.url);" },
});
console.log('built dist/main');
