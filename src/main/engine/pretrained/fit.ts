// Fitting pretrained ViT weights to a ViT or MA-ViT: the registry's mavit weights adapter (a ViT's rules, with
// the CBAM pre-filter's parameters new), which also serves a plain ViT (it has no pre-filter parameters).
// The matching itself is match.ts's, for any architecture.
import { mavitArchitecture } from '../models/architectures';
import type { ParameterShape, PretrainedFit } from './match';
import type { TensorMap } from './tensor-file';

export { resamplePositionEmbedding, type ParameterShape, type PretrainedFit } from './match';

/**
 * Matches timm-named pretrained tensors to a model's parameters. The classifier head is replaced (it is
 * trained for the lab's classes) unless `keepHead` and the shapes agree; parameters the backbone never had
 * (the CBAM pre-filter) keep their initialisation; position embeddings are resampled when the patch grid
 * differs. Any other mismatch is an error naming the tensor.
 */
export function fitPretrained(weights: TensorMap, params: readonly ParameterShape[], options: { keepHead?: boolean } = {}): PretrainedFit {
  return mavitArchitecture.weights.fit(weights, params, options);
}
