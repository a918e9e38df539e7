// Use cases on the train/val/test splits: assign the labeled specimens (`orelab split`, the app's
// splits.assign, with the same SplitParams of shared/schemas/splits.ts), audit the photo groups that span
// splits (`orelab split --audit`, splits.audit), and fix them (`orelab split --fix`, splits.fix).
import type { z } from 'zod';
import type { SplitAuditInfo, SplitFixResultSchema, SplitParams, SplitRatios, SplitResultSchema } from '../../shared/schemas';
import { assignSplits, fixSplitLeaks, splitAudit } from '../catalogue';
import type { ServiceContext } from './context';

/** What a split did, with the seed and ratios it was made with (the CLI prints both; the app has them). */
export type SplitInfo = z.output<typeof SplitResultSchema> & { ratios: SplitRatios };
export type SplitFixInfo = z.output<typeof SplitFixResultSchema>;

/** Stratified by class, a photo group whole; specimens that already have a split keep it, so a re-run only places new ones. */
export function assignSplit(ctx: Pick<ServiceContext, 'db'>, params: SplitParams): SplitInfo {
  const result = assignSplits(ctx.db, params.seed, params.ratios);
  return { seed: params.seed, ratios: params.ratios, ...result } satisfies SplitInfo;
}

/** The photo groups whose specimens lie in more than one split. */
export function auditSplits(ctx: Pick<ServiceContext, 'db'>): SplitAuditInfo {
  return splitAudit(ctx.db);
}

/** Moves each leaking group into the split of its first specimen; one operation that undo reverts. */
export function fixSplits(ctx: Pick<ServiceContext, 'db'>): SplitFixInfo {
  return fixSplitLeaks(ctx.db);
}
