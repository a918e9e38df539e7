// Use cases on the train/val/test splits: assign the labeled specimens (`orelab split`, the app's
// splits.assign, with the same SplitParams of shared/schemas/splits.ts), audit the photo groups that span
// splits (`orelab split --audit`, splits.audit), and fix them (`orelab split --fix`, splits.fix).
import type { z } from 'zod';
import type { SplitAuditInfo, SplitFixResultSchema, SplitParams, SplitRatios, SplitResultSchema } from '../../shared/schemas';
import { assignSplits, fixSplitLeaks, splitAudit } from '../catalogue';
import { ensurePhotoHashes } from '../jobs/hash-backfill';
import type { ServiceContext } from './context';

/** What a split did, with the seed and ratios it was made with (the CLI prints both; the app has them). */
export type SplitInfo = z.output<typeof SplitResultSchema> & { ratios: SplitRatios };
export type SplitFixInfo = z.output<typeof SplitFixResultSchema>;

/** Stratified by class, a photo group whole; specimens that already have a split keep it, so a re-run only places new ones. */
export async function assignSplit(ctx: Pick<ServiceContext, 'db'>, params: SplitParams): Promise<SplitInfo> {
  // Groups join near-duplicate photos by their hashes: a catalogue from before hashes existed gets them first.
  await ensurePhotoHashes(ctx.db);
  const result = assignSplits(ctx.db, params.seed, params.ratios);
  return { seed: params.seed, ratios: params.ratios, ...result } satisfies SplitInfo;
}

/** The photo groups whose specimens lie in more than one split. */
export async function auditSplits(ctx: Pick<ServiceContext, 'db'>): Promise<SplitAuditInfo> {
  await ensurePhotoHashes(ctx.db);
  return splitAudit(ctx.db);
}

/** Moves each leaking group into the split of its first specimen; one operation that undo reverts. */
export async function fixSplits(ctx: Pick<ServiceContext, 'db'>): Promise<SplitFixInfo> {
  await ensurePhotoHashes(ctx.db);
  return fixSplitLeaks(ctx.db);
}
