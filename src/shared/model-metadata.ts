// What an exported Orelab model.onnx says about itself, in its metadata_props, so that any ONNX runtime (and
// a person reading the file) knows its classes, how to prepare an image, what it is and how it was made.
// Every value is a string; structured values are JSON. Keys are plain words, listed in MODEL_METADATA_KEYS.
import { z } from 'zod';
import { classListProblem } from './class-name';
import { UserError } from './errors';

export const MODEL_FORMAT = 'orelab-classifier/2';
/**
 * Files written before the metadata said backbone, pre-filter and loss weighting apart: their
 * `architecture.variant` mixed the model (CBAM or not) with a loss setting (`vit-weighted`). Still read, and
 * upgraded on reading (decodeModelMetadata).
 */
export const MODEL_FORMAT_V1 = 'orelab-classifier/1';

/** The attention pre-filter on the image: none, or CBAM with its gate (docs/results.md, "CBAM gate"). */
export const PREFILTERS = ['none', 'cbam-residual', 'cbam-plain'] as const;
/** How the training loss weighted the classes: not at all, the paper's N/(C·n_i), or effective number. */
export const LOSS_WEIGHTINGS = ['none', 'inverse', 'effective'] as const;

/**
 * Input sizes a model may declare. Below 8 px there is no image left to classify (and no ViT patch grid);
 * above 1024 px one float32 image is 12 MB, and the resize of every photo to size / crop_fraction fails or
 * takes gigabytes: a model declaring 100000 made every photo look corrupt. Orelab trains at 224 (32 in tests).
 */
export const MIN_IMAGE_SIZE = 8;
export const MAX_IMAGE_SIZE = 1024;

/**
 * A normalisation divisor: 0 makes every input Infinity or NaN, and so every confidence NaN. (zod 4's
 * z.number() already refuses NaN and ±Infinity, which JSON.parse gives for "1e999", so mean needs no more.)
 */
const positiveStd = () => z.number().positive({ message: 'must be greater than 0 (it divides every pixel value)' });

export const PreprocessingSchema = z.object({
  /** Input is [N, 3, size, size] float32, RGB, NCHW. */
  size: z.number().int().min(MIN_IMAGE_SIZE).max(MAX_IMAGE_SIZE),
  /**
   * Resize the short side to floor(size / crop_fraction) (bicubic), then centre-crop size×size. At least 0.5:
   * a tiny fraction would resize every photo to an enormous image before cropping (timm's range is 0.875–1).
   */
  crop_fraction: z.number().min(0.5).max(1),
  /** (pixel / 255 − mean) / std per channel. */
  mean: z.tuple([z.number(), z.number(), z.number()]),
  std: z.tuple([positiveStd(), positiveStd(), positiveStd()]),
  color: z.literal('RGB'),
  layout: z.literal('NCHW'),
});

export const ArchitectureSchema = z.object({
  backbone: z.string(),
  prefilter: z.enum(PREFILTERS),
  parameters: z.number().int().nonnegative(),
  /** The engine's own model description (dims, depth, heads...). */
  config: z.record(z.string(), z.unknown()),
});

export const TrainingRunSchema = z.object({
  run_id: z.number().int().nullable(),
  started_at: z.string(),
  finished_at: z.string().nullable(),
  epochs: z.number().int(),
  best_epoch: z.number().int().nullable(),
  batch_size: z.number().int(),
  learning_rate: z.number(),
  weight_decay: z.number(),
  seed: z.number().int(),
  loss: z.string(),
  /** A training setting, not part of the architecture. */
  weighting: z.enum(LOSS_WEIGHTINGS),
  class_weights: z.array(z.number()),
  device: z.string(),
  /** The ViT's stochastic depth rate it was trained with (absent in files from before it was recorded: 0.1). */
  drop_path_rate: z.number().optional(),
  /**
   * Which epoch's weights the file holds: best-acc, best-loss or last (absent in older files: best-acc). A string,
   * not an enum: it describes the file, and a rule added later must not make an older Orelab refuse the model.
   */
  keep: z.string().optional(),
});

export const ModelMetricsSchema = z.object({
  split: z.string(),
  accuracy: z.number(),
  macro_f1: z.number(),
  per_class: z.array(z.object({ class: z.string(), precision: z.number(), recall: z.number(), f1: z.number(), support: z.number() })),
});

/** Numeric precision of a model's Linear layers. */
export const PRECISIONS = ['fp32', 'int8'] as const;
export type Precision = (typeof PRECISIONS)[number];

/** How an int8 file was made from its float source, and how closely it agreed with it when it was made. */
export const QuantizationSchema = z.object({
  /** sha256 (hex) of the float model file it was quantized from. */
  source_sha256: z.string().regex(/^[0-9a-f]{64}$/),
  /** e.g. "dynamic int8, per-channel weight scales". */
  scheme: z.string(),
  /** Agreement with the source where it was measured (null: not measured, e.g. no photos were given). */
  agreement: z
    .object({
      /** Where: "catalogue split val", "folder …". */
      on: z.string(),
      photos: z.number().int().nonnegative(),
      /** Share of photos whose predicted class is the same, 0–1. */
      agreement: z.number().min(0).max(1),
      /** The largest |p_int8 − p_fp32| over all photos and classes. */
      max_probability_change: z.number().nonnegative(),
      /** Accuracies on the labeled photos (null when none was labeled). */
      accuracy_fp32: z.number().nullable(),
      accuracy_int8: z.number().nullable(),
    })
    .nullable(),
});
export type Quantization = z.infer<typeof QuantizationSchema>;

export const ModelMetadataSchema = z.object({
  format: z.literal(MODEL_FORMAT),
  /**
   * Class names become sorting folders and CSV columns, so a model file is held to the catalogue's rule
   * (src/shared/class-name.ts) and may not list two names that differ only in case: a crafted or damaged
   * file must not be able to sort photos into "../../x".
   */
  classes: z
    .array(z.string())
    .min(2)
    .superRefine((names, ctx) => {
      const problem = classListProblem(names);
      if (problem === null) return;
      ctx.addIssue({
        code: 'custom',
        message: `refused: ${problem}. This model cannot be used; rename the class in the catalogue it was trained from and train it again`,
      });
    }),
  preprocessing: PreprocessingSchema,
  architecture: ArchitectureSchema,
  weights_source: z.string(),
  training_run: TrainingRunSchema.nullable(),
  dataset_sha256: z.string().nullable(),
  metrics: z.array(ModelMetricsSchema),
  /** Output tensor names: logits [N, C], probabilities [N, C], and the CBAM spatial attention [N, 1, S, S] if any. */
  outputs: z.object({ logits: z.string(), probabilities: z.string(), attention: z.string().nullable() }),
  input: z.string(),
  /**
   * Added in issue 14, optional so that files written before it still parse: absent means "fp32". An "int8"
   * file is its source's graph with the Linear layers quantized (orelab quantize), described by `quantization`.
   */
  precision: z.enum(PRECISIONS).optional(),
  quantization: QuantizationSchema.optional(),
});

export type ModelMetadata = z.infer<typeof ModelMetadataSchema>;
export type Preprocessing = z.infer<typeof PreprocessingSchema>;

export const MODEL_METADATA_KEYS = Object.keys(ModelMetadataSchema.shape) as (keyof ModelMetadata)[];

/** Keys whose value is plain text (an empty string standing for null), not JSON. */
const TEXT_KEYS: ReadonlySet<keyof ModelMetadata> = new Set(['format', 'weights_source', 'input', 'dataset_sha256', 'precision']);
/** Keys added after format 2 was first written: a file without them is still a format-2 file. */
const OPTIONAL_KEYS: ReadonlySet<keyof ModelMetadata> = new Set(['precision', 'quantization']);

/** A model's precision: files without the key are fp32. */
export const modelPrecision = (m: Pick<ModelMetadata, 'precision'>): Precision => m.precision ?? 'fp32';

/** metadata_props entries (string → string) for a model's metadata. */
export function encodeModelMetadata(m: ModelMetadata): Record<string, string> {
  const out: Record<string, string> = {};
  for (const key of MODEL_METADATA_KEYS) {
    const value = m[key];
    if (value === undefined && OPTIONAL_KEYS.has(key)) continue;
    out[key] = TEXT_KEYS.has(key) ? String(value ?? '') : JSON.stringify(value);
  }
  return out;
}

export class ModelMetadataError extends UserError {
  constructor(message: string) {
    super('invalid-input', message);
  }
}

/** Parses metadata_props back; an error names the missing or malformed key. */
export function decodeModelMetadata(props: Readonly<Record<string, string>>, source: string): ModelMetadata {
  const raw: Record<string, unknown> = {};
  for (const key of MODEL_METADATA_KEYS) {
    const text = props[key];
    if (text === undefined && OPTIONAL_KEYS.has(key)) continue;
    if (text === undefined) throw new ModelMetadataError(`${source}: not an Orelab classifier (metadata "${key}" is missing)`);
    if (TEXT_KEYS.has(key)) raw[key] = key === 'dataset_sha256' && text === '' ? null : text;
    else {
      try {
        raw[key] = JSON.parse(text);
      } catch {
        throw new ModelMetadataError(`${source}: metadata "${key}" is not valid JSON`);
      }
    }
  }
  const parsed = ModelMetadataSchema.safeParse(raw.format === MODEL_FORMAT_V1 ? upgradeV1(raw, source) : raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new ModelMetadataError(`${source}: metadata "${issue.path.join('.')}" ${issue.message}`);
  }
  return parsed.data;
}

/**
 * A format-1 file's metadata in format 2: `variant` + `cbam_gate` become `prefilter`, and the loss weighting
 * moves to the training run (format 1 never wrote effective-number weighting into `variant`, so a weighted
 * run reads as inverse unless its loss text says effective). Anything malformed is left for the schema to name.
 */
function upgradeV1(raw: Record<string, unknown>, source: string): Record<string, unknown> {
  const arch = raw.architecture;
  if (!arch || typeof arch !== 'object') return raw;
  const { variant, cbam_gate: gate, ...rest } = arch as Record<string, unknown>;
  // Format 1 knew three variants; anything else is malformed.
  if (variant !== 'mavit' && variant !== 'vit' && variant !== 'vit-weighted') {
    throw new ModelMetadataError(`${source}: metadata "architecture.variant" must be mavit, vit or vit-weighted in a format-1 file, got ${JSON.stringify(variant)}`);
  }
  const prefilter = variant === 'mavit' ? (gate === 'plain' ? 'cbam-plain' : 'cbam-residual') : 'none';
  const run = raw.training_run;
  const weighting = variant === 'vit' ? 'none' : run && typeof run === 'object' && /effective/i.test(String((run as { loss?: unknown }).loss ?? '')) ? 'effective' : 'inverse';
  return {
    ...raw,
    format: MODEL_FORMAT,
    architecture: { ...rest, prefilter },
    training_run: run && typeof run === 'object' ? { ...(run as Record<string, unknown>), weighting } : run,
  };
}

/** The app's name for a model's kind (MA-ViT, ViT + weighted loss, ViT), from its pre-filter and loss weighting. */
export function modelVariant(m: Pick<ModelMetadata, 'architecture' | 'training_run'>): 'mavit' | 'vit-weighted' | 'vit' {
  if (m.architecture.prefilter !== 'none') return 'mavit';
  return (m.training_run?.weighting ?? 'none') === 'none' ? 'vit' : 'vit-weighted';
}
