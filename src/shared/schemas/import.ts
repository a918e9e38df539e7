// Importing a photo folder.
import { z } from 'zod';
import type { ImportSummary } from '../domain';
import { Count, FsPath, InputErrorSchema } from './common';

export const ImportParamsSchema = z
  .object({ folder: FsPath, labelsFromFolders: z.boolean().default(false) })
  .strict();
export type ImportParams = z.output<typeof ImportParamsSchema>;
export const ImportProgressSchema = z.object({
  done: Count,
  total: Count,
  new: Count,
  duplicates: Count,
  errors: Count,
  currentPath: z.string(),
});
export const ImportResultSchema = z.object({
  folder: z.string(),
  scanned: Count,
  new: Count,
  duplicates: Count,
  labeled: Count,
  skippedNonImage: Count,
  errors: z.array(InputErrorSchema),
  warnings: z.array(InputErrorSchema),
  classes: z.record(z.string(), Count),
  specimensTotal: Count,
  seconds: z.number(),
  imagesPerSecond: z.number(),
  cancelled: z.boolean(),
}) satisfies z.ZodType<ImportSummary & { cancelled: boolean }>;
