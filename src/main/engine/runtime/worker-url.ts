// Starts the engine worker from the right file: the TypeScript source when running under tsx (tests,
// benches), or engine-worker.js beside the esbuild bundle (scripts/build.mjs emits it into dist/main/).
// Node 20 does not apply `--import tsx` from execArgv inside worker threads, so the source variant starts
// a one-line bootstrap that registers tsx's loader in the worker and then imports worker.ts.
import { Worker } from 'node:worker_threads';
import { fileURLToPath } from 'node:url';

export function runningFromSource(): boolean {
  return fileURLToPath(import.meta.url).endsWith('.ts');
}

export function startEngineWorker(): Worker {
  if (runningFromSource()) {
    const tsxApi = import.meta.resolve('tsx/esm/api');
    const entry = new URL('./worker.ts', import.meta.url).href;
    const bootstrap = `import(${JSON.stringify(tsxApi)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(entry)}); });`;
    return new Worker(bootstrap, { eval: true });
  }
  return new Worker(new URL('./engine-worker.js', import.meta.url));
}
