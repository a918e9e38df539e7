import { exportInferenceModel, forwardNames, paramCount, type ModelDefinition, type ParamValues } from '../../engine';
import type { PreprocessSpec } from '../../images/preprocess';
import { encodeModelMetadata, MODEL_FORMAT, type ModelMetadata } from '../../../shared/model-metadata';
import type { VariantId } from '../../../shared/training-options';

export type Variant = VariantId;

export interface ClassifierExport {
  model: ModelDefinition;
  params: ParamValues;
  variant: Variant;
  backbone: string;
  classes: readonly string[];
  preprocessing: PreprocessSpec;
  weightsSource: string;
  trainingRun: ModelMetadata['training_run'];
  datasetSha256: string | null;
  metrics: ModelMetadata['metrics'];
  /** The exported graph's fixed batch size. */
  batchSize: number;
}

/** Name of the CBAM attention output in MA-ViT graphs (the engine's forward extras). */
const ATTENTION_OUTPUT = 'spatial_attention';

export function classifierMetadata(e: ClassifierExport): ModelMetadata {
  const hasCbam = e.model.kind === 'mavit';
  const cbam = (e.model.config as { cbam?: { gate?: string } }).cbam;
  return {
    format: MODEL_FORMAT,
    classes: [...e.classes],
    preprocessing: {
      size: e.preprocessing.size,
      crop_fraction: e.preprocessing.cropFraction,
      mean: [...e.preprocessing.mean],
      std: [...e.preprocessing.std],
      color: 'RGB',
      layout: 'NCHW',
    },
    // The model's parts only; the loss weighting is the training run's (training_run.weighting).
    architecture: { backbone: e.backbone, prefilter: hasCbam ? (cbam?.gate === 'plain' ? 'cbam-plain' : 'cbam-residual') : 'none', parameters: paramCount(e.model), config: { ...e.model.config } },
    weights_source: e.weightsSource,
    training_run: e.trainingRun,
    dataset_sha256: e.datasetSha256,
    metrics: e.metrics,
    outputs: { logits: forwardNames.logits, probabilities: forwardNames.probabilities, attention: hasCbam ? ATTENTION_OUTPUT : null },
    input: forwardNames.images,
  };
}

/** Writes a standalone model.onnx (parameters as initializers) that describes itself in its metadata. */
export function exportClassifier(file: string, e: ClassifierExport): ModelMetadata {
  if (e.classes.length !== e.model.numClasses) throw new Error(`${e.classes.length} class names for a ${e.model.numClasses}-class model`);
  const metadata = classifierMetadata(e);
  exportInferenceModel(file, e.model, e.params, { batchSize: e.batchSize, metadata: encodeModelMetadata(metadata) });
  return metadata;
}
