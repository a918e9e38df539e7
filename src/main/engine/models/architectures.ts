// The built-in registry entries: `vit` (timm's VisionTransformer; presets vit-ti, vit-s, vit-b) and `mavit`
// (the CBAM pre-filter composed on the vit entry, with the same presets). Loss weighting is a training option,
// not part of a model.
import type { Tensor } from '../graph/builder';
import { CBAM_SCOPE, cbamForward, cbamForwardFlops, DEFAULT_CBAM, declareCbam, type CbamConfig } from './cbam';
import type { ForwardContext } from './model';
import { registerArchitecture } from './registry';
import { declareVit, VIT_PRESETS, vitConfigFromPreset, vitDropPathRates, vitForward, vitForwardFlops, vitInferenceFeatures, type VitConfig, type VitPresetSpec } from './vit';
import { vitWeightsAdapter } from './vit-weights';

export interface VitModelConfig {
  variant: 'vit';
  vit: VitConfig;
}

export interface MavitModelConfig {
  variant: 'mavit';
  vit: VitConfig;
  cbam: CbamConfig;
}

export interface VitOverrides {
  vit?: Partial<VitConfig>;
}

export interface MavitOverrides {
  vit?: Partial<VitConfig>;
  cbam?: Partial<CbamConfig>;
}

export const vitArchitecture = registerArchitecture<VitModelConfig, VitOverrides, VitPresetSpec>('vit', {
  description: 'Vision Transformer (timm layout and names), pre-norm blocks, class-token head',
  presets: VIT_PRESETS,
  config: (preset, numClasses, overrides) => ({ variant: 'vit', vit: vitConfigFromPreset(preset, numClasses, overrides?.vit) }),
  define(config, params) {
    const vit = config.vit;
    const W = declareVit(vit, params);
    return {
      numClasses: vit.numClasses,
      inputShape: [3, vit.imageSize, vit.imageSize],
      dropPathRates: vitDropPathRates(vit),
      forward: (P: ReadonlyMap<string, Tensor>, images: Tensor, ctx: ForwardContext) => ({ logits: vitForward(vit, P, images, ctx, W), extras: {} }),
      embed: (P: ReadonlyMap<string, Tensor>, images: Tensor) => vitInferenceFeatures(vit, P, images, W),
    };
  },
  flops: (config) => vitForwardFlops(config.vit),
  weights: vitWeightsAdapter(),
});

export const mavitArchitecture = registerArchitecture<MavitModelConfig, MavitOverrides, VitPresetSpec>('mavit', {
  description: 'MA-ViT: CBAM pre-filter on the image (channel then spatial attention), then the vit entry',
  presets: VIT_PRESETS,
  config: (preset, numClasses, overrides) => ({
    variant: 'mavit',
    vit: vitConfigFromPreset(preset, numClasses, overrides?.vit),
    cbam: { ...DEFAULT_CBAM, ...overrides?.cbam },
  }),
  define(config, params) {
    // CBAM first: its parameters come first in the list (checkpoints and exported initializers keep that order).
    const C = declareCbam(config.cbam, params);
    const vit = vitArchitecture.define({ variant: 'vit', vit: config.vit }, params);
    return {
      ...vit,
      forward(P: ReadonlyMap<string, Tensor>, images: Tensor, ctx: ForwardContext) {
        const { out, spatialAttention } = cbamForward(config.cbam, P, images, C);
        return { logits: vit.forward(P, out, ctx).logits, extras: { spatial_attention: spatialAttention } };
      },
      // What the head sees is the backbone's view of the filtered image, so the embedding includes the pre-filter.
      embed: (P: ReadonlyMap<string, Tensor>, images: Tensor) => vit.embed!(P, cbamForward(config.cbam, P, images, C).out),
    };
  },
  flops: (config) => cbamForwardFlops(config.cbam, config.vit.imageSize) + vitArchitecture.flops({ variant: 'vit', vit: config.vit }),
  // The backbone's weights fit as for a ViT; the pre-filter's parameters are new (they keep their init).
  weights: vitWeightsAdapter((name) => name.startsWith(`${CBAM_SCOPE}.`)),
});
