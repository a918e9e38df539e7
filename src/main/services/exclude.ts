// Use case: exclude photos from training and evaluation, or include them again. The CLI (`orelab exclude`,
// `orelab include`) and the app's labels.exclude / labels.include requests come here with the params of
// shared/schemas/labels.ts. An exclusion is a label operation (catalogue/labels.ts): it shows in each photo's label
// history, and `orelab undo` / labels.undo revert it like a label change.
import type { ExcludeByReferenceParams, ExcludeByReferenceResult, ExcludeParams, ExclusionResult, IncludeParams } from '../../shared/schemas';
import { getSpecimen, setExclusion } from '../catalogue';
import type { ServiceContext } from './context';
import { resolveAllSpecimenRefs } from './label';

/** Exclusion needs the catalogue only. */
type ExcludeContext = Pick<ServiceContext, 'db'>;

/** Excludes the app's selection (photos already excluded are left as they are): one undoable operation. */
export function excludeSpecimens(ctx: ExcludeContext, params: ExcludeParams): ExclusionResult {
  const r = setExclusion(ctx.db, params.specimenIds, { exclude: true, reason: params.reason });
  return { opId: r.opId, changed: r.changed.length, unchanged: r.unchanged.length } satisfies ExclusionResult;
}

/** Includes the app's selection again (photos not excluded are left as they are): one undoable operation. */
export function includeSpecimens(ctx: ExcludeContext, params: IncludeParams): ExclusionResult {
  const r = setExclusion(ctx.db, params.specimenIds, { exclude: false });
  return { opId: r.opId, changed: r.changed.length, unchanged: r.unchanged.length } satisfies ExclusionResult;
}

/**
 * Excludes or includes photos named by sha256 prefix or path. All or nothing, as `orelab label`: every reference
 * is resolved first and all the bad ones are reported together, so that a typo never half-applies a bulk change.
 */
export function excludeByReference(ctx: ExcludeContext, params: ExcludeByReferenceParams): ExcludeByReferenceResult {
  const { db } = ctx;
  const ids = resolveAllSpecimenRefs(db, params.refs, `nothing was ${params.exclude ? 'excluded' : 'included'}`);
  const r = setExclusion(db, ids, params.exclude ? { exclude: true, reason: params.reason } : { exclude: false });
  const changed = new Set(r.changed);
  const specimens = [...new Set(ids)].map((id) => {
    const s = getSpecimen(db, id)!;
    return { id, sha256: s.sha256, path: s.path, changed: changed.has(id) };
  });
  return { opId: r.opId, changed: r.changed.length, unchanged: r.unchanged.length, requested: params.refs.length, specimens } satisfies ExcludeByReferenceResult;
}
