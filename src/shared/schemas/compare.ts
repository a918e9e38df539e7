// Paired comparison of two classifiers on the same labeled specimens: two models on a split they were both
// evaluated on, or two cross-validation runs' out-of-fold predictions.
import { z } from 'zod';
import { BOOTSTRAP_RESAMPLES, BOOTSTRAP_SEED } from '../intervals';
import { Count, Id, Text } from './common';
import { IntervalSchema } from './predictions';
import { SplitSchema } from './splits';

/** Where both sides' predictions come from. */
export const CompareSourceSchema = z.discriminatedUnion('kind', [
  /** Two models' stored predictions of a split (`orelab eval --db F --split S` fills them in). */
  z.object({ kind: z.literal('split'), split: SplitSchema }).strict(),
  /** Two cross-validation runs' out-of-fold predictions. */
  z.object({ kind: z.literal('cv') }).strict(),
]);
export type CompareSource = z.output<typeof CompareSourceSchema>;

export const CompareParamsSchema = z
  .object({
    /** A model id or unique prefix (split), or a cross-validation run's name (cv). */
    a: Text(200).trim().min(1, 'name model or run A'),
    b: Text(200).trim().min(1, 'name model or run B'),
    source: CompareSourceSchema,
    resamples: z.number().int().min(100).max(100_000).default(BOOTSTRAP_RESAMPLES),
    seed: z.number().int().min(0).max(0xffffffff).default(BOOTSTRAP_SEED),
  })
  .strict();
export type CompareParams = z.output<typeof CompareParamsSchema>;

/** One side's figures on the compared specimens. */
export const CompareSideSchema = z.object({
  /** The model id, or the cross-validation run's name. */
  id: z.string(),
  /** The model's name, or the run's name. */
  name: z.string(),
  accuracy: z.number(),
  accuracy_ci: IntervalSchema,
  macro_f1: z.number(),
  macro_f1_ci: IntervalSchema,
});
export type CompareSide = z.output<typeof CompareSideSchema>;

/** A − B, with its paired bootstrap 95% interval. */
export const DifferenceSchema = z.object({ estimate: z.number(), ci: IntervalSchema });

/** A specimen one side got right and the other wrong. */
export const DiscordantSpecimenSchema = z.object({ id: Id, path: z.string(), label: z.string(), a_predicted: z.string(), b_predicted: z.string() });

export const CompareResultSchema = z.object({
  source: CompareSourceSchema,
  /** Labeled specimens both sides predicted, scored against the same label. */
  n: Count,
  /** Predicted by both but left out: a label that is not a class of both models, or one the two CV runs scored differently. */
  skipped: Count,
  /** Labeled specimens only one side predicted (e.g. an evaluation that was interrupted): not compared. */
  unpaired: Count,
  /** The units the bootstrap resampled: photo groups (the photos of one rock count once), else specimens. */
  groups: Count,
  resamples: Count,
  seed: Count,
  /** The class names of both sides (the label and prediction spellings of the first side that used them). */
  classes: z.array(z.string()),
  a: CompareSideSchema,
  b: CompareSideSchema,
  difference: z.object({ accuracy: DifferenceSchema, macro_f1: DifferenceSchema }),
  /** McNemar's exact two-sided test: b = specimens only A got right, c = only B; p under "equally good". */
  mcnemar: z.object({ b: Count, c: Count, p_value: z.number() }),
  /** In specimen id order. */
  discordant: z.array(DiscordantSpecimenSchema),
});
export type CompareResult = z.output<typeof CompareResultSchema>;
