// Starts a worker thread from the right file: the TypeScript source when running under tsx (tests, benches,
// `node --import tsx`), or the file esbuild emits beside the bundle (scripts/build.mjs) when running from
// dist/. Node 20 does not apply `--import tsx` from execArgv inside worker threads, so the source variant
// starts a one-line bootstrap that registers tsx's loader in the worker and then imports the source file.
import { Worker } from 'node:worker_threads';
import { fileURLToPath } from 'node:url';

export function startWorker(callerUrl: string, sourcePath: string, bundledName: string): Worker {
  if (fileURLToPath(callerUrl).endsWith('.ts')) {
    const tsxApi = import.meta.resolve('tsx/esm/api');
    const entry = new URL(sourcePath, callerUrl).href;
    const bootstrap = `import(${JSON.stringify(tsxApi)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(entry)}); });`;
    return new Worker(bootstrap, { eval: true });
  }
  return new Worker(new URL(`./${bundledName}`, callerUrl));
}
