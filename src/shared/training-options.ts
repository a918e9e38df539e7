// The choices a training run offers, declared once. The zod schema (schemas/train.ts), the CLI's flags and
// help (cli/commands/train.ts) and the renderer's selects (pages/TrainingPage.tsx) are all built from these
// lists, so a backbone or variant added here appears everywhere, and one that is not here is refused
// everywhere. Zod-free: the renderer imports it (its CSP refuses zod's JIT).
//
// A backbone is an engine registry entry's preset (src/main/engine/models/architectures.ts); a test checks
// that every backbone here names a preset the engine has.

interface Choice {
  readonly id: string;
  readonly label: string;
}

/** The model and loss of a run: the paper's MA-ViT and its two ablations. */
export const VARIANT_CHOICES = [
  { id: 'mavit', label: 'MA-ViT (CBAM + weighted loss)', prefilter: 'cbam', weightedLoss: true },
  { id: 'vit', label: 'ViT (plain loss)', prefilter: 'none', weightedLoss: false },
  { id: 'vit-weighted', label: 'ViT + weighted loss', prefilter: 'none', weightedLoss: true },
] as const satisfies readonly (Choice & { prefilter: 'cbam' | 'none'; weightedLoss: boolean })[];

export const BACKBONE_CHOICES = [
  // Only ViT-Ti's pretrained weights ship with Orelab (resources/models); the others need a weights file.
  { id: 'vit-ti', label: 'ViT-Ti/16 (5.5 M)', architecture: 'vit', preset: 'vit-ti', bundledWeights: true },
  { id: 'vit-s', label: 'ViT-S/16 (22 M)', architecture: 'vit', preset: 'vit-s', bundledWeights: false },
  { id: 'vit-b', label: 'ViT-B/16 (86 M)', architecture: 'vit', preset: 'vit-b', bundledWeights: false },
] as const satisfies readonly (Choice & { architecture: string; preset: string; bundledWeights: boolean })[];

/** How the loss weights a class: the paper's N/(C·n_i), or Cui et al.'s effective number. */
export const WEIGHTING_CHOICES = [
  { id: 'inverse', label: 'inverse frequency, N/(C·n_i) (the paper)' },
  { id: 'effective', label: 'effective number (Cui et al. 2019)' },
] as const satisfies readonly Choice[];

export const CBAM_GATE_CHOICES = [
  { id: 'residual', label: 'residual, x·2σ(z) (starts as the identity)' },
  { id: 'plain', label: 'plain, x·σ(z) (the paper as written)' },
] as const satisfies readonly Choice[];

export const DEVICE_CHOICES = [
  { id: 'auto', label: 'Automatic (GPU if CUDA works, else CPU)' },
  { id: 'cpu', label: 'CPU' },
  { id: 'cuda', label: 'GPU (CUDA)' },
] as const satisfies readonly Choice[];

/**
 * Which epoch's weights a run keeps and exports. best-acc is what Orelab always did; the others are there for the
 * cross-validation of issue 15 (on ~80 validation photos one photo is 1.2 points, so best-acc tends to pick noise).
 */
export const KEEP_CHOICES = [
  { id: 'best-acc', label: 'best validation accuracy (ties: lower validation loss)' },
  { id: 'best-loss', label: 'lowest validation loss (ties: higher validation accuracy)' },
  { id: 'last', label: 'the last epoch' },
] as const satisfies readonly Choice[];

type Ids<T extends readonly Choice[]> = T[number]['id'];
export type VariantId = Ids<typeof VARIANT_CHOICES>;
export type BackboneId = Ids<typeof BACKBONE_CHOICES>;
export type WeightingId = Ids<typeof WEIGHTING_CHOICES>;
export type CbamGateId = Ids<typeof CBAM_GATE_CHOICES>;
export type DeviceId = Ids<typeof DEVICE_CHOICES>;
export type KeepRule = Ids<typeof KEEP_CHOICES>;

/** The ids of a choice list as a non-empty tuple (what z.enum takes). */
export function choiceIds<T extends readonly Choice[]>(choices: T): [Ids<T>, ...Ids<T>[]] {
  return choices.map((c) => c.id) as [Ids<T>, ...Ids<T>[]];
}

export const VARIANTS = choiceIds(VARIANT_CHOICES);
export const BACKBONES = choiceIds(BACKBONE_CHOICES);
export const WEIGHTINGS = choiceIds(WEIGHTING_CHOICES);
export const CBAM_GATES = choiceIds(CBAM_GATE_CHOICES);
export const DEVICES = choiceIds(DEVICE_CHOICES);
export const KEEP_RULES = choiceIds(KEEP_CHOICES);

export function backboneChoice(id: BackboneId): (typeof BACKBONE_CHOICES)[number] {
  return BACKBONE_CHOICES.find((b) => b.id === id)!;
}

/** The paper's recipe: what a run uses unless told otherwise (docs/mavit.md). */
export const RECIPE = { epochs: 30, batchSize: 32, lr: 3e-5, weightDecay: 0.01 } as const;

/**
 * Orelab's own defaults beyond the paper's recipe, as they have always been (so no earlier run's result or
 * configuration hash changes): the ViT's stochastic depth (DropPath) rate, and the checkpoint rule.
 */
export const TRAIN_DEFAULTS = { dropPath: 0.1, keep: 'best-acc' } as const satisfies { dropPath: number; keep: KeepRule };
