// Classes and the catalogue's class statistics.
import { z } from 'zod';
import type { CatalogueStats, ClassInfo, ClassStats } from '../domain';
import { DEFAULT_EFFECTIVE_BETA } from '../weights';
import { Count, Id } from './common';
import { SplitCountsSchema } from './splits';

export const ClassInfoSchema = z.object({ id: Id, name: z.string(), count: Count }) satisfies z.ZodType<ClassInfo>;

export const ClassStatsSchema = z.object({
  name: z.string(),
  count: Count,
  share: z.number(),
  weightInverse: z.number(),
  weightEffective: z.number(),
  imbalanceRatio: z.number(),
  splits: SplitCountsSchema,
}) satisfies z.ZodType<ClassStats>;

/** The class statistics' one setting: β of the effective-number class weights (Cui et al.), below 1. */
export const StatsParamsSchema = z.object({ beta: z.number().min(0).lt(1).default(DEFAULT_EFFECTIVE_BETA) }).strict();
export type StatsParams = z.output<typeof StatsParamsSchema>;

export const CatalogueStatsSchema = z.object({
  total: Count,
  labeled: Count,
  unlabeled: Count,
  excluded: Count,
  classCount: Count,
  beta: z.number(),
  imbalanceRatio: z.number(),
  classes: z.array(ClassStatsSchema),
  splits: SplitCountsSchema,
}) satisfies z.ZodType<CatalogueStats>;

/** The open catalogue. `key` changes each time a catalogue is opened; image URLs carry it (see shared/images). */
export const CatalogueInfoSchema = z.object({
  path: z.string(),
  name: z.string(),
  key: z.string(),
  schemaVersion: Count,
  specimens: Count,
});
export type CatalogueInfo = z.output<typeof CatalogueInfoSchema>;
