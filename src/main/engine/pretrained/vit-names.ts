// ViT weights in timm, Hugging Face or Google layout → timm names: the registry's vit weights adapter
// (models/vit-weights.ts, `vitArchitecture.weights.convert`), kept here under its old name for existing importers.
import { convertVitWeights, type WeightsLayout } from '../models/vit-weights';
import type { ConvertedWeights as Converted } from './match';
import type { TensorMap } from './tensor-file';

export type { WeightsLayout } from '../models/vit-weights';
export type ConvertedWeights = Converted<WeightsLayout>;

export function toTimmVit(source: TensorMap): ConvertedWeights {
  return convertVitWeights(source);
}
