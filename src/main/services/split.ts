// Use case: split the labeled specimens into train/val/test. The CLI (`orelab split`) and the app's
// splits.assign request come here with the same SplitParams (shared/schemas/splits.ts).
import type { z } from 'zod';
import type { SplitParams, SplitRatios, SplitResultSchema } from '../../shared/schemas';
import { assignSplits } from '../catalogue';
import type { ServiceContext } from './context';

/** What a split did, with the seed and ratios it was made with (the CLI prints both; the app has them). */
export type SplitInfo = z.output<typeof SplitResultSchema> & { ratios: SplitRatios };

/** Stratified by class; specimens that already have a split keep it, so a re-run only places new ones. */
export function assignSplit(ctx: Pick<ServiceContext, 'db'>, params: SplitParams): SplitInfo {
  const result = assignSplits(ctx.db, params.seed, params.ratios);
  return { seed: params.seed, ratios: params.ratios, ...result } satisfies SplitInfo;
}
