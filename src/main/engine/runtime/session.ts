// Creates onnxruntime-node sessions: CUDA first, then CPU, and says which execution provider ran and why
// CUDA was skipped. All engine graphs are plain ONNX, so any EP that runs standard ops can run them.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as ort from 'onnxruntime-node';

export type ExecutionProvider = 'cuda' | 'cpu';

export interface SessionOptions {
  /** Execution providers to try, in order. Default: ['cuda', 'cpu']. */
  providers?: readonly ExecutionProvider[];
  /** CPU intra-op threads (default: ORT's choice, one per core). */
  intraOpThreads?: number;
  /**
   * Whether idle intra-op threads spin waiting for the next parallel op (ORT's default) or sleep. Spinning
   * saves a wake-up per op on an idle machine, but on a busy one it burns the time slices the other threads
   * of the same op need, and several sessions side by side spin against each other.
   */
  spinning?: boolean;
  /**
   * ORT's graph optimisation level (default 'all'). 'extended' leaves out only the layout pass (NCHWc), which
   * for ViT/MA-ViT touches one node: CBAM's 2→1-channel spatial conv, whose single output channel NCHWc pads
   * to a block of 16 (16× the work, plus reorders back to NCHW).
   */
  optimizationLevel?: 'extended' | 'all';
  /** Where ORT should write the optimized graph (for inspecting fusions). */
  optimizedModelPath?: string;
  enableProfiling?: boolean;
  profilePrefix?: string;
}

export interface CreatedSession {
  session: ort.InferenceSession;
  provider: ExecutionProvider;
  /** Why providers before the one that ran were skipped, e.g. CUDA not installed. */
  skipped: { provider: ExecutionProvider; reason: string }[];
}

export const CUDA_INSTALL_HINT = 'on a machine with CUDA 12 and cuDNN 9, run `npm run gpu:install-cuda` once';

/** Why the CUDA EP cannot be used, or null if its provider library is present. */
export function cudaUnavailableReason(): string | null {
  let binDir: string;
  try {
    const require = createRequire(import.meta.url);
    const pkgDir = dirname(require.resolve('onnxruntime-node/package.json'));
    binDir = join(pkgDir, 'bin', 'napi-v6', process.platform, process.arch);
  } catch (err) {
    return `cannot locate onnxruntime-node: ${(err as Error).message}`;
  }
  if (process.platform !== 'linux' && process.platform !== 'win32') return `onnxruntime-node ships no CUDA provider for ${process.platform}`;
  const lib = process.platform === 'win32' ? 'onnxruntime_providers_cuda.dll' : 'libonnxruntime_providers_cuda.so';
  if (!existsSync(join(binDir, lib))) return `onnxruntime-node has no CUDA provider installed (${lib} missing; ${CUDA_INSTALL_HINT})`;
  return null;
}

function ortOptions(provider: ExecutionProvider, options: SessionOptions): ort.InferenceSession.SessionOptions {
  return {
    executionProviders: provider === 'cuda' ? ['cuda', 'cpu'] : ['cpu'],
    graphOptimizationLevel: options.optimizationLevel ?? 'all',
    ...(options.intraOpThreads !== undefined ? { intraOpNumThreads: options.intraOpThreads, interOpNumThreads: 1 } : {}),
    executionMode: 'sequential',
    ...(options.spinning === false ? { extra: { session: { intra_op: { allow_spinning: '0' } } } } : {}),
    ...(options.optimizedModelPath ? { optimizedModelFilePath: options.optimizedModelPath } : {}),
    ...(options.enableProfiling ? { enableProfiling: true, profileFilePrefix: options.profilePrefix ?? 'orelab-profile' } : {}),
    logSeverityLevel: 3,
  };
}

export async function createSession(model: Uint8Array | string, options: SessionOptions = {}): Promise<CreatedSession> {
  const providers = options.providers ?? ['cuda', 'cpu'];
  const skipped: CreatedSession['skipped'] = [];
  for (const provider of providers) {
    if (provider === 'cuda') {
      const reason = cudaUnavailableReason();
      if (reason) {
        skipped.push({ provider, reason });
        continue;
      }
    }
    try {
      const opts = ortOptions(provider, options);
      const session = typeof model === 'string' ? await ort.InferenceSession.create(model, opts) : await ort.InferenceSession.create(model, opts);
      return { session, provider, skipped };
    } catch (err) {
      if (provider === providers[providers.length - 1]) throw err;
      skipped.push({ provider, reason: `session creation failed: ${(err as Error).message}` });
    }
  }
  throw new Error(`no execution provider could run the model: ${skipped.map((s) => `${s.provider}: ${s.reason}`).join('; ')}`);
}

export { ort };
