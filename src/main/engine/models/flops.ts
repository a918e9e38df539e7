// Analytic FLOP count of a model (2 FLOPs per multiply-add; GEMMs, attention products and convolutions only,
// elementwise work left out). Training ≈ 3 × forward: the backward pass does one product for the input
// gradient and one for the weight gradient per forward product.
import type { ModelConfig } from './mavit';

export function forwardFlopsPerImage(config: ModelConfig): number {
  const v = config.vit;
  const tokens = (v.imageSize / v.patchSize) ** 2;
  const t = tokens + 1;
  const d = v.dim;
  const hidden = d * v.mlpRatio;
  const patch = 2 * tokens * (3 * v.patchSize * v.patchSize) * d;
  const block = 2 * t * d * 3 * d + 2 * 2 * t * t * d + 2 * t * d * d + 2 * 2 * t * d * hidden;
  const head = 2 * d * v.numClasses;
  let cbam = 0;
  if (config.variant === 'mavit') {
    const c = config.cbam;
    const hw = v.imageSize * v.imageSize;
    cbam = 2 * (2 * c.kernel * c.kernel) * hw + 2 * 2 * (2 * c.channels * c.hidden);
  }
  return cbam + patch + v.depth * block + head;
}

export function trainingFlopsPerImage(config: ModelConfig): number {
  return 3 * forwardFlopsPerImage(config);
}
