// A tiny MA-ViT and a separable toy problem (the class is the colour channel that is raised) for runtime tests.
import type { ModelConfig } from '../../src/main/engine/models/mavit';
import { Rng } from '../../src/main/engine/graph/random';
import type { ChunkData } from '../../src/main/engine/runtime/protocol';

export const TOY_CLASSES = 3;
export const TOY_IMAGE = 16;

export function toyModel(overrides: { dropPathRate?: number } = {}): ModelConfig {
  return {
    variant: 'mavit',
    vit: {
      imageSize: TOY_IMAGE,
      patchSize: 4,
      dim: 24,
      depth: 2,
      heads: 2,
      mlpRatio: 2,
      numClasses: TOY_CLASSES,
      dropPathRate: overrides.dropPathRate ?? 0.1,
      lnEps: 1e-6,
      patchEmbed: 'gemm',
    },
    cbam: { channels: 3, hidden: 4, kernel: 7, gate: 'residual' },
  };
}

/** `count` images [count, 3, 16, 16] with labels: noise (σ 0.5) plus 1 on the channel given by the label. */
export function toyImages(count: number, seed: number): { images: Float32Array; labels: Int32Array } {
  const rng = new Rng(seed);
  const s = TOY_IMAGE;
  const images = new Float32Array(count * 3 * s * s);
  const labels = new Int32Array(count);
  for (let n = 0; n < count; n++) {
    const y = rng.int(TOY_CLASSES);
    labels[n] = y;
    for (let c = 0; c < 3; c++) {
      for (let i = 0; i < s; i++) {
        for (let j = 0; j < s; j++) {
          images[((n * 3 + c) * s + i) * s + j] = 0.5 * rng.normal() + (c === y ? 1 : 0);
        }
      }
    }
  }
  return { images, labels };
}

/** Chunk number `index` of K steps of batch B: deterministic data, DropPath masks and a constant lr. */
export function toyChunk(index: number, K: number, B: number, slots: number, rates: readonly number[], lr: number): ChunkData {
  const { images, labels } = toyImages(K * B, 1000 + index);
  const rng = new Rng(5000 + index);
  const dropMasks = new Float32Array(K * slots * B);
  for (let k = 0; k < K; k++) for (let s = 0; s < slots; s++) for (let b = 0; b < B; b++) dropMasks[(k * slots + s) * B + b] = rng.next() < 1 - (rates[s] ?? 0) ? 1 : 0;
  return { images, labels, dropMasks, lrs: new Float32Array(K).fill(lr) };
}
