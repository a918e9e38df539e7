// Engine worker entry (bundled as dist/main/engine-worker.js). Handles one request at a time, in arrival
// order; the main thread (TrainingEngine) sends the next only after this one is answered.
import { parentPort } from 'node:worker_threads';
import type { FromWorker, ToWorker } from './protocol';
import { EngineCore } from './trainer';

const port = parentPort;
if (!port) throw new Error('the engine worker must run in a worker thread');

let core: EngineCore | null = null;

function post(msg: FromWorker, transfer: ArrayBuffer[] = []): void {
  port!.postMessage(msg, transfer);
}

function need(): EngineCore {
  if (!core) throw new Error('engine is not initialised');
  return core;
}

async function handle(job: ToWorker): Promise<void> {
  switch (job.type) {
    case 'init':
      if (core) throw new Error('engine is already initialised');
      core = await EngineCore.create(job.init);
      post({ type: 'ready', id: job.id, ready: core.readyInfo() });
      return;
    case 'train': {
      const result = await need().runChunk(job.chunk);
      post({ type: 'trained', id: job.id, result }, [result.losses.buffer as ArrayBuffer, result.correct.buffer as ArrayBuffer]);
      return;
    }
    case 'evaluate': {
      const r = await need().evaluate(job.images, job.count);
      const transfer = [r.logits.buffer as ArrayBuffer, ...(r.spatialAttention ? [r.spatialAttention.buffer as ArrayBuffer] : [])];
      post({ type: 'evaluated', id: job.id, logits: r.logits, spatialAttention: r.spatialAttention }, transfer);
      return;
    }
    case 'checkpoint':
      post({ type: 'checkpointed', id: job.id, step: need().checkpoint(job.path, job.meta) });
      return;
    case 'getState':
      post({ type: 'state', id: job.id, state: need().snapshot() });
      return;
    case 'close':
      if (core) await core.release();
      core = null;
      post({ type: 'closed', id: job.id });
      port!.close();
      return;
  }
}

let chain: Promise<void> = Promise.resolve();
port.on('message', (msg: ToWorker) => {
  chain = chain.then(() =>
    handle(msg).catch((err: unknown) => post({ type: 'error', id: msg.id, message: err instanceof Error ? err.message : String(err) })),
  );
});
