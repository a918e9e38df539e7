// Inference worker: runs an exported model.onnx with onnxruntime-node off the main thread (session.run blocks).
import { parentPort } from 'node:worker_threads';
import * as ort from 'onnxruntime-node';
import { createSession } from '../../engine';
import type { FromInferenceWorker, ToInferenceWorker } from './protocol';

const port = parentPort!;
let session: ort.InferenceSession | null = null;
let names = { input: '', probabilities: '', attention: null as string | null };

const send = (msg: FromInferenceWorker, transfer: ArrayBuffer[] = []) => port.postMessage(msg, transfer);

/** The message being handled: a close waits for it, so a run is never cut off inside ORT. */
let current: Promise<void> = Promise.resolve();

port.on('message', (msg: ToInferenceWorker) => {
  if (msg.type === 'close') {
    void current.then(async () => {
      try {
        await session?.release();
      } finally {
        session = null;
        // With the port closed and the session gone the event loop is empty, and the worker exits by itself.
        port.close();
      }
    });
    return;
  }
  current = handle(msg).catch((err: Error) => send({ type: 'error', id: msg.type === 'run' ? msg.id : null, message: err.message }));
});

async function handle(msg: ToInferenceWorker): Promise<void> {
  if (msg.type === 'init') {
    names = msg.names;
    // ORT reads the file itself: the classifier has already checked it and read its metadata.
    const created = await createSession(msg.modelPath, {
      // No spinning: the classifier runs two sessions side by side (classifier.ts), next to image decoding;
      // spinning threads would take the cores from each other (measured in docs/ENGINE.md).
      spinning: false,
      // Without NCHWc the CBAM conv runs as one im2col GEMM instead of 16 padded output channels: 6–8 % of
      // an MA-ViT-Ti batch (docs/ENGINE.md).
      optimizationLevel: 'extended',
      ...(msg.providers ? { providers: msg.providers } : {}),
      ...(msg.intraOpThreads ? { intraOpThreads: msg.intraOpThreads } : {}),
    });
    session = created.session;
    send({ type: 'ready', provider: created.provider, skipped: created.skipped });
    return;
  }
  if (msg.type !== 'run') return;
  if (!session) throw new Error('inference worker used before init');
  // The attention map (B·S² floats, far more than the probabilities) is fetched and sent only when asked for.
  const attentionName = msg.attention ? names.attention : null;
  const fetches = [names.probabilities, ...(attentionName ? [attentionName] : [])];
  const out = await session.run({ [names.input]: new ort.Tensor('float32', msg.images, msg.dims) }, fetches);
  const probabilities = new Float32Array(out[names.probabilities]!.data as Float32Array);
  const attention = attentionName ? new Float32Array(out[attentionName]!.data as Float32Array) : null;
  const transfer = [probabilities.buffer, msg.images.buffer, ...(attention ? [attention.buffer] : [])] as ArrayBuffer[];
  send({ type: 'result', id: msg.id, probabilities, attention, images: msg.images }, transfer);
}
