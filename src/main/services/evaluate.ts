// Use case: score a model on a catalogue split. The CLI (`orelab eval --db F --split S`) and the app's
// `evaluate` job come here with the same EvaluateParams (shared/schemas/evaluate.ts); each shell opens the
// model its own way (a --model file, or the catalogue's model id) and passes the open classifier.
//
//   params (EvaluateParamsSchema) → runEvaluate: evaluateCatalogueSplit (jobs/evaluate.ts), which records every
//                                   prediction (a --tta run's replace the model's plain ones: one per model and
//                                   specimen); the result says whether the whole split was scored
import type { EvaluateParams, JobProgress, JobResult } from '../../shared/ipc';
import { evaluateCatalogueSplit } from '../jobs/evaluate';
import type { OpenClassifier } from './classify';
import type { RunHooks, ServiceContext } from './context';

export type EvaluateProgressInfo = JobProgress<'evaluate'>;

/**
 * The contract's result, and how much of the split it covers: an interrupted evaluation (`partial`) scored
 * `scored` of the `total` labeled photos, and its metrics must not be shown as the split's.
 */
export type EvaluateResultInfo = JobResult<'evaluate'> & { partial: boolean; scored: number; total: number };

export async function runEvaluate(
  ctx: ServiceContext & { classifier: OpenClassifier },
  params: EvaluateParams,
  hooks: RunHooks<EvaluateProgressInfo> = {},
): Promise<EvaluateResultInfo> {
  const { classifier } = ctx;
  // The shell resolved the model from params.modelId (an id or a unique prefix): a mismatch is a bug there.
  if (!classifier.modelId.startsWith(params.modelId)) throw new Error(`evaluate: the open model ${classifier.modelId} is not ${params.modelId}`);
  const r = await evaluateCatalogueSplit(ctx.db, ctx.cataloguePath, classifier, params.split, {
    tta: params.tta,
    ...(hooks.signal ? { signal: hooks.signal } : {}),
    ...(hooks.onProgress ? { onProgress: (done: number, total: number) => hooks.onProgress!({ done, total }) } : {}),
  });
  const result: JobResult<'evaluate'> = {
    modelId: classifier.modelId,
    split: params.split,
    report: r.report,
    unknownLabels: r.unknownLabels,
    errors: r.errors,
    cancelled: hooks.signal?.aborted ?? false,
    tta: params.tta,
  };
  return { ...result, partial: r.partial, scored: r.scored, total: r.total };
}
