// Analytic FLOP count of a model (2 FLOPs per multiply-add; GEMMs, attention products and convolutions only,
// elementwise work left out), from the model's registry entry. Training ≈ 3 × forward: the backward pass
// does one product for the input gradient and one for the weight gradient per forward product.
import type { ModelConfig } from './mavit';
import { getArchitecture } from './registry';
import './architectures';

export function forwardFlopsPerImage(config: ModelConfig): number {
  return getArchitecture(config.variant).flops(config);
}

export function trainingFlopsPerImage(config: ModelConfig): number {
  return 3 * forwardFlopsPerImage(config);
}
