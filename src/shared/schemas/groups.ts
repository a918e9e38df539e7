// Photo groups (the specimens that are one rock: a shared sample code, near-duplicate photos, close embeddings),
// separating a wrong group, and the perceptual-hash backfill. `orelab groups` and the app's groups.* channels
// use these.
import { z } from 'zod';
import { Count, Id } from './common';
import { SplitSchema } from './splits';

/** Which links make groups beyond sample codes and perceptual hashes. */
export const GroupOptionsSchema = z
  .object({
    /** Embeddings of this model file (its sha256, as `orelab embed` stores them) also join specimens; default: none. */
    embeddingModel: z
      .string()
      .regex(/^[0-9a-f]{64}$/, 'must be a model file sha256 (64 hex digits)')
      .optional(),
    /** Cosine at or above which two embeddings join their specimens (default: the catalogue's constant). */
    minEmbeddingCosine: z.number().min(-1).max(1).optional(),
  })
  .strict();

export const GroupsListParamsSchema = GroupOptionsSchema;
export type GroupsListParams = z.output<typeof GroupsListParamsSchema>;

/** "These are two rocks": the named specimens leave their group(s). */
export const GroupsSeparateParamsSchema = GroupOptionsSchema.extend({ specimens: z.array(Id).min(1).max(100_000) }).strict();
export type GroupsSeparateParams = z.output<typeof GroupsSeparateParamsSchema>;

export const GroupMemberSchema = z.object({
  id: Id,
  sha256: z.string(),
  path: z.string(),
  label: z.string().nullable(),
  split: SplitSchema.nullable(),
  sampleCode: z.string().nullable(),
});

/** Why two members are in one group (a < b). */
export const GroupLinkSchema = z.discriminatedUnion('kind', [
  z.object({ a: Id, b: Id, kind: z.literal('sample-code'), sampleCode: z.string() }),
  z.object({ a: Id, b: Id, kind: z.literal('near-duplicate'), phashDistance: Count, dhashDistance: Count }),
  z.object({ a: Id, b: Id, kind: z.literal('embedding'), cosine: z.number() }),
]);

export const PhotoGroupSchema = z.object({
  /** The group's name: its smallest specimen id. */
  group: Id,
  members: z.array(GroupMemberSchema),
  links: z.array(GroupLinkSchema),
});

export const HashBackfillResultSchema = z.object({
  hashed: Count,
  /** Specimens that could not be hashed (no usable thumbnail, unreadable photo); a re-run tries them again. */
  failed: z.array(z.object({ id: Id, path: z.string(), reason: z.string() })),
  /** Specimens still without hashes. */
  remaining: Count,
  seconds: z.number(),
  photosPerSecond: z.number(),
  cancelled: z.boolean(),
});
export type HashBackfillResultInfo = z.output<typeof HashBackfillResultSchema>;

export const GroupsListResultSchema = z.object({
  /** The groups of two or more specimens, by group id. */
  groups: z.array(PhotoGroupSchema),
  summary: z.object({ specimens: Count, groups: Count, groupedSpecimens: Count, unhashed: Count }),
  /** The rule the groups were made with. */
  rule: z.object({
    maxPhashDistance: Count,
    maxDhashDistance: Count,
    embeddingModel: z.string().nullable(),
    minEmbeddingCosine: z.number().nullable(),
  }),
  /** The hash backfill that ran first because some specimens had no hashes; null when none was needed. */
  backfill: HashBackfillResultSchema.nullable(),
});
export type GroupsListResult = z.output<typeof GroupsListResultSchema>;

export const GroupsSeparateResultSchema = z.object({
  /** Per group changed: the specimens that left it and those that stayed. */
  groups: z.array(z.object({ group: Id, left: z.array(Id), remaining: z.array(Id) })),
  /** Specimen pairs newly recorded as cut. */
  cutsAdded: Count,
});
export type GroupsSeparateResult = z.output<typeof GroupsSeparateResultSchema>;
