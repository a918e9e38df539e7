// Train/val/test splits: the split names, counts per split, the ratios a split is made with, what it did.
import { z } from 'zod';
import { SPLITS } from '../domain';
import { Count, Id } from './common';

export const SplitSchema = z.enum(SPLITS);
export const SplitFilterSchema = z.enum([...SPLITS, 'unassigned']);

export const SplitCountsSchema = z.object({ train: Count, val: Count, test: Count, unassigned: Count });

export const SplitRatiosSchema = z
  .object({ train: z.number().min(0).max(1000), val: z.number().min(0).max(1000), test: z.number().min(0).max(1000) })
  .strict()
  .refine((r) => r.train + r.val + r.test > 0, { message: 'at least one ratio must be above 0' });
export type SplitRatios = z.output<typeof SplitRatiosSchema>;
/** 80/10/10: what `orelab split` and training use when no ratios are given. */
export const DEFAULT_SPLIT_RATIOS: SplitRatios = { train: 8, val: 1, test: 1 };

/** A stratified split of the labeled specimens that have none yet (existing assignments are kept). */
export const SplitParamsSchema = z
  .object({ seed: z.number().int().min(0).max(2 ** 31 - 1).default(0), ratios: SplitRatiosSchema.default(DEFAULT_SPLIT_RATIOS) })
  .strict();
export type SplitParams = z.output<typeof SplitParamsSchema>;

export const SplitResultSchema = z.object({
  seed: Count,
  assigned: Count,
  alreadyAssigned: Count,
  unlabeled: Count,
  perClass: z.record(z.string(), z.object({ train: Count, val: Count, test: Count })),
});

/** A photo group (one rock) whose specimens lie in more than one split. */
export const SplitLeakSchema = z.object({
  group: Id,
  specimens: z.array(z.object({ id: Id, sha256: z.string(), path: z.string(), split: SplitSchema.nullable() })),
});
/** `orelab split --audit`: the groups of two or more specimens, and those that span splits. */
export const SplitAuditSchema = z.object({ groups: Count, grouped_specimens: Count, leaks: z.array(SplitLeakSchema) });
export type SplitAuditInfo = z.output<typeof SplitAuditSchema>;
/** `orelab split --fix`: what moved (one undoable operation; opId 0 when nothing leaked). */
export const SplitFixResultSchema = z.object({
  opId: z.number().int().min(0),
  moved: z.array(z.object({ id: Id, from: SplitSchema, to: SplitSchema })),
});
