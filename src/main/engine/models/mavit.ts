// Model definitions: `vit` (plain ViT) and `mavit` (CBAM pre-filter + ViT). Loss weighting is a training
// option, not part of the model.
import type { Tensor } from '../graph/builder';
import { cbamForward, cbamParams, DEFAULT_CBAM, type CbamConfig } from './cbam';
import type { ForwardContext, ForwardOutputs, ModelDefinition } from './model';
import { vitConfig, vitDropPathRates, vitForward, vitParams, type VitConfig, type VitPreset } from './vit';

export type ModelConfig = { variant: 'vit'; vit: VitConfig } | { variant: 'mavit'; vit: VitConfig; cbam: CbamConfig };

export function defineModel(config: ModelConfig): ModelDefinition {
  const vit = config.vit;
  const cbam = config.variant === 'mavit' ? config.cbam : null;
  return {
    kind: config.variant,
    numClasses: vit.numClasses,
    inputShape: [3, vit.imageSize, vit.imageSize],
    params: [...(cbam ? cbamParams(cbam) : []), ...vitParams(vit)],
    dropPathRates: vitDropPathRates(vit),
    config: config as unknown as Record<string, unknown>,
    forward(P: ReadonlyMap<string, Tensor>, images: Tensor, ctx: ForwardContext): ForwardOutputs {
      if (!cbam) return { logits: vitForward(vit, P, images, ctx), extras: {} };
      const { out, spatialAttention } = cbamForward(cbam, P, images);
      return { logits: vitForward(vit, P, out, ctx), extras: { spatial_attention: spatialAttention } };
    },
  };
}

/** Convenience: MA-ViT or ViT on a preset backbone (224, patch 16). */
export function presetModel(
  variant: 'vit' | 'mavit',
  preset: VitPreset,
  numClasses: number,
  options: { vit?: Partial<VitConfig>; cbam?: Partial<CbamConfig> } = {},
): ModelDefinition {
  const vit = vitConfig(preset, numClasses, options.vit);
  return defineModel(variant === 'vit' ? { variant, vit } : { variant, vit, cbam: { ...DEFAULT_CBAM, ...options.cbam } });
}
