// Use cases: list the photo groups, separate a wrong one ("these are two rocks"), and fill in missing perceptual
// hashes. The CLI (`orelab groups`) and the app's groups.* channels come here with the same params
// (shared/schemas/groups.ts).
//
//   listGroups     → ensurePhotoHashes (jobs/hash-backfill.ts: quick, only when some specimens lack hashes)
//                  → photoGroups (catalogue/groups.ts) → members with their paths, labels and splits
//   separateGroups → ensurePhotoHashes → separateFromGroups (catalogue/groups.ts: cuts in group_cuts)
//   backfillHashes → backfillPhotoHashes
import type {
  GroupsListParams,
  GroupsListResult,
  GroupsSeparateParams,
  GroupsSeparateResult,
  HashBackfillResultInfo,
} from '../../shared/schemas';
import {
  DEFAULT_MAX_DHASH_DISTANCE,
  DEFAULT_MAX_PHASH_DISTANCE,
  DEFAULT_MIN_EMBEDDING_COSINE,
  getSpecimen,
  groupEmbeddingModel,
  photoGroups,
  separateFromGroups,
  type PhotoGroupOptions,
} from '../catalogue';
import { backfillPhotoHashes, ensurePhotoHashes, type HashBackfillOptions, type HashBackfillProgress } from '../jobs/hash-backfill';
import type { RunHooks, ServiceContext } from './context';

function groupOptions(params: GroupsListParams): PhotoGroupOptions {
  return {
    ...(params.embeddingModel ? { embeddingModel: params.embeddingModel } : {}),
    ...(params.minEmbeddingCosine !== undefined ? { minEmbeddingCosine: params.minEmbeddingCosine } : {}),
  };
}

/** Every group of two or more specimens, with why its members are together. Hashes missing specimens first. */
export async function listGroups(ctx: Pick<ServiceContext, 'db'>, params: GroupsListParams, hooks: RunHooks<HashBackfillProgress> = {}): Promise<GroupsListResult> {
  const backfill = await ensurePhotoHashes(ctx.db, hooks);
  const options = groupOptions(params);
  // The model whose embeddings joined specimens: the one named, else the catalogue's grouping model (if any).
  const embeddingModel = options.embeddingModel ?? groupEmbeddingModel(ctx.db);
  const { groupOf, members, links, unhashed } = photoGroups(ctx.db, options);
  const groups = [...members].map(([group, ids]) => {
    const inGroup = new Set(ids);
    return {
      group,
      members: ids.map((id) => {
        const s = getSpecimen(ctx.db, id)!;
        return { id, sha256: s.sha256, path: s.path, label: s.label, split: s.split, sampleCode: s.sampleCode };
      }),
      links: links.filter((l) => inGroup.has(l.a)),
    };
  });
  return {
    groups,
    summary: { specimens: groupOf.size, groups: groups.length, groupedSpecimens: groups.reduce((n, g) => n + g.members.length, 0), unhashed },
    rule: {
      maxPhashDistance: DEFAULT_MAX_PHASH_DISTANCE,
      maxDhashDistance: DEFAULT_MAX_DHASH_DISTANCE,
      embeddingModel,
      minEmbeddingCosine: embeddingModel ? (options.minEmbeddingCosine ?? DEFAULT_MIN_EMBEDDING_COSINE) : null,
    },
    backfill,
  } satisfies GroupsListResult;
}

/**
 * The named specimens leave their groups: every link between them and the rest of their group is cut, and the
 * cut persists. Refused (nothing changed) for a specimen in no group, for a whole group, and across a shared
 * sample code (the user changes that by editing the code).
 */
export async function separateGroups(ctx: Pick<ServiceContext, 'db'>, params: GroupsSeparateParams): Promise<GroupsSeparateResult> {
  await ensurePhotoHashes(ctx.db);
  return separateFromGroups(ctx.db, params.specimens, groupOptions(params)) satisfies GroupsSeparateResult;
}

/** Hashes every specimen without perceptual hashes; resumable after a kill. */
export async function backfillHashes(
  ctx: Pick<ServiceContext, 'db'>,
  hooks: RunHooks<HashBackfillProgress> & Pick<HashBackfillOptions, 'concurrency'> = {},
): Promise<HashBackfillResultInfo> {
  return (await backfillPhotoHashes(ctx.db, hooks)) satisfies HashBackfillResultInfo;
}
