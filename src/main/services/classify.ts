// Use case: classify (and optionally sort) a photo folder with a model. The CLI (`orelab classify`, and
// `orelab eval <folder>`) and the app's `classify` job come here with the same ClassifyParams
// (shared/schemas/classify.ts), already parsed by their shell.
//
//   the model: each shell opens it its own way (the CLI from a --model file with openModelFile, the app from
//              the catalogue's model id through its classifier cache) and passes the open classifier
//   params (ClassifyParamsSchema) → checkClassify: refuse what cannot work before a job exists
//                                 → runClassify:   classifyFolder (jobs/classify), progress with a rate, the result
import fs from 'node:fs';
import path from 'node:path';
import { UserError } from '../../shared/errors';
import type { ClassifyParams, JobProgress, JobResult } from '../../shared/ipc';
import type { Db } from '../catalogue';
import type { ExecutionProvider } from '../engine';
import type { BatchClassifier } from '../jobs/batch-classifier';
import { classifyFolder } from '../jobs/classify/classify';
import { OnnxClassifier } from '../jobs/inference/classifier';
import { requireFolder, type RunHooks } from './context';

export type ClassifyResultInfo = JobResult<'classify'>;
export type ClassifyProgressInfo = JobProgress<'classify'>;

/** A model ready to run: what the jobs need, and where it runs (reported in the result). */
export type OpenClassifier = BatchClassifier & { readonly provider: string };

export interface ClassifyContext {
  /** The catalogue that receives the predictions (with params.recordInCatalogue), or null: none (CLI without --db). */
  db: Db | null;
  /** The model params.modelId names, already opened by the shell. */
  classifier: OpenClassifier;
}

/**
 * Opens an exported model file for inference: how the CLI resolves `--model FILE`. A file that is not a
 * usable Orelab model is the user's input error, whatever ONNX Runtime says about it.
 */
export async function openModelFile(modelPath: string, options: { device: 'auto' | ExecutionProvider; maxBatch?: number }): Promise<OnnxClassifier> {
  try {
    return await OnnxClassifier.open(modelPath, {
      providers: options.device === 'auto' ? ['cuda', 'cpu'] : [options.device],
      ...(options.maxBatch !== undefined ? { maxBatch: options.maxBatch } : {}),
    });
  } catch (err) {
    // ModelFileError and ModelMetadataError already say what is wrong with the file.
    if (err instanceof UserError) throw err;
    throw new UserError('invalid-input', `${modelPath}: cannot load the model: ${(err as Error).message}`);
  }
}

/**
 * Refuses a classification that cannot work, before a model is opened or a file touched: a folder that is
 * not there, a CSV path that is a folder, a sorting folder that is a file. (A CSV Orelab did not write is
 * refused by classifyFolder itself, before it writes anything.)
 */
export function checkClassify(params: Pick<ClassifyParams, 'folder' | 'csv' | 'sortInto'>): void {
  requireFolder(params.folder);
  if (params.csv) {
    const csv = path.resolve(params.csv);
    if (fs.existsSync(csv) && fs.statSync(csv).isDirectory()) throw new UserError('invalid-input', `the CSV report ${csv} is a folder; give a file name`);
  }
  if (params.sortInto) {
    const dir = path.resolve(params.sortInto.dir);
    if (fs.existsSync(dir) && !fs.statSync(dir).isDirectory()) throw new UserError('invalid-input', `${dir} is a file, not a folder to sort into`);
  }
}

/** Classifies the folder; resolves with the result, `cancelled` when the signal stopped it. */
export async function runClassify(ctx: ClassifyContext, params: ClassifyParams, hooks: RunHooks<ClassifyProgressInfo> = {}): Promise<ClassifyResultInfo> {
  const { classifier } = ctx;
  // The shell resolved the model from params.modelId (an id or a unique prefix): a mismatch is a bug there.
  if (!classifier.modelId.startsWith(params.modelId)) throw new Error(`classify: the open model ${classifier.modelId} is not ${params.modelId}`);
  checkClassify(params);
  const started = performance.now();
  const summary = await classifyFolder({
    folder: params.folder,
    classifier,
    ...(params.recordInCatalogue && ctx.db ? { db: ctx.db } : {}),
    ...(params.csv ? { csv: params.csv } : {}),
    ...(params.sortInto ? { sortInto: params.sortInto } : {}),
    reviewBelow: params.reviewBelow,
    batchSize: params.batchSize,
    tta: params.tta,
    ...(hooks.signal ? { signal: hooks.signal } : {}),
    ...(hooks.onProgress
      ? {
          onProgress: (p) => {
            // A rate only once there is something to measure: the first half second is mostly start-up.
            const seconds = (performance.now() - started) / 1000;
            const rate = seconds > 0.5 && p.classified > 0 ? p.classified / seconds : null;
            hooks.onProgress!({ ...p, imagesPerSecond: rate, etaSeconds: rate ? Math.max(0, p.total - p.done) / rate : null });
          },
        }
      : {}),
  });
  return { ...summary, provider: classifier.provider } satisfies ClassifyResultInfo;
}
