// Embedding every specimen with a backbone (the vector its classifier head reads), cached per model file.
import { z } from 'zod';
import { DEVICES } from '../training-options';
import { Count, FsPath, InputErrorSchema } from './common';

export const EmbedParamsSchema = z
  .object({
    /** A model file (.onnx exported by Orelab), or the id (or a unique prefix) of a model in the catalogue;
     * null: the shipped pretrained ViT-Ti. */
    model: FsPath.nullable().default(null),
    device: z.enum(DEVICES).default('auto'),
  })
  .strict();
export type EmbedParams = z.output<typeof EmbedParamsSchema>;

/** Specimens tried (embedded or failed) of those missing a vector. */
export const EmbedProgressSchema = z.object({ done: Count, total: Count, errors: Count });
export type EmbedProgress = z.output<typeof EmbedProgressSchema>;

/** The backbone the vectors belong to: they are stored under `sha256`, the model file's full hash. */
export const EmbeddingModelSchema = z.object({
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  kind: z.enum(['pretrained', 'classifier']),
  path: z.string(),
  /** What it is, for people: e.g. "ViT-Ti/16 pretrained (shipped)", "mavit vit-ti (model.onnx)". */
  name: z.string(),
  /** The vectors' length; null when none is stored (an empty catalogue). */
  dim: Count.nullable(),
});
export type EmbeddingModel = z.output<typeof EmbeddingModelSchema>;

export const EmbedResultSchema = z.object({
  model: EmbeddingModelSchema,
  /** Specimens in the catalogue. */
  specimens: Count,
  /** Specimens whose vector was already stored for this model file (not embedded again). */
  cached: Count,
  /** Specimens embedded by this run. */
  embedded: Count,
  /** Photos that could not be read or decoded: skipped (a later run tries them again). */
  errors: z.array(InputErrorSchema),
  cancelled: z.boolean(),
  seconds: z.number().nonnegative(),
});
export type EmbedResult = z.output<typeof EmbedResultSchema>;
