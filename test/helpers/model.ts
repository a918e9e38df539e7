import path from 'node:path';
import { presetModel } from '../../src/main/engine/models/mavit';
import { initParams } from '../../src/main/engine/models/model';
import { exportClassifier } from '../../src/main/jobs/train/export';
import { AUGREG_PREPROCESS } from '../../src/main/images/preprocess';

/**
 * A real, tiny MA-ViT classifier exported by the engine (32×32 input, one block, random weights): fast to
 * run in tests, with the same graph structure, IO and metadata as a trained model.
 */
export function makeTinyClassifier(dir: string, classes: readonly string[], options: { seed?: number; batchSize?: number; variant?: 'vit' | 'mavit' } = {}): string {
  const variant = options.variant ?? 'mavit';
  const model = presetModel(variant, 'vit-ti', classes.length, { vit: { imageSize: 32, patchSize: 8, dim: 32, depth: 1, heads: 2, dropPathRate: 0 } });
  const file = path.join(dir, `tiny-${variant}-${options.seed ?? 1}.onnx`);
  exportClassifier(file, {
    model,
    params: initParams(model, options.seed ?? 1),
    variant,
    backbone: 'vit-test',
    classes,
    preprocessing: { ...AUGREG_PREPROCESS, size: 32 },
    weightsSource: 'random initialisation (test)',
    trainingRun: null,
    datasetSha256: null,
    metrics: [],
    batchSize: options.batchSize ?? 4,
  });
  return file;
}
