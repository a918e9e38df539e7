// Model definitions by config or preset: thin wrappers over the architecture registry (registry.ts), whose
// `vit` and `mavit` entries (architectures.ts) declare the parameters and the forward passes.
import type { ModelDefinition } from './model';
import { getArchitecture } from './registry';
import type { MavitModelConfig, MavitOverrides, VitModelConfig } from './architectures';
import './architectures';
import type { VitPreset } from './vit';

export type ModelConfig = VitModelConfig | MavitModelConfig;

export function defineModel(config: ModelConfig): ModelDefinition {
  return getArchitecture(config.variant).build(config);
}

/** Convenience: MA-ViT or ViT on a preset backbone (224, patch 16). */
export function presetModel(variant: 'vit' | 'mavit', preset: VitPreset, numClasses: number, options: MavitOverrides = {}): ModelDefinition {
  return getArchitecture(variant).create(preset, numClasses, options);
}
