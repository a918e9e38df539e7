// Use case: is classifier A better than B, or is the difference noise? Both are scored on the same labeled
// specimens: two models' stored predictions of a split (`orelab eval --db F --split S` made them), or two
// cross-validation runs' out-of-fold predictions. The CLI (`orelab compare`) and the app's reports.compare
// request come here with the same CompareParams (shared/schemas/compare.ts).
import { UserError } from '../../shared/errors';
import { mcnemarExactP, pairedBootstrapIntervals } from '../../shared/intervals';
import { classificationReport, type ClassificationReportWithIntervals } from '../../shared/metrics';
import type { CompareParams, CompareResult, CompareSide, CompareSource } from '../../shared/schemas';
import {
  cvPredictedLabels,
  cvRuns,
  findCvRun,
  photoGroups,
  requireModel,
  splitPredictedLabels,
  type Db,
  type PredictedLabel,
} from '../catalogue';
import type { ServiceContext } from './context';

/** One side of the comparison, resolved: who it is, what it predicted, which labels it can be scored on. */
interface Side {
  id: string;
  name: string;
  predictions: PredictedLabel[];
  /** Whether a label is one of its classes (a label it could never predict says nothing about it). */
  knows(label: string): boolean;
}

const key = (className: string) => className.toLowerCase();

function modelSide(ctx: ServiceContext, ref: string, split: Extract<CompareSource, { kind: 'split' }>): Side {
  const model = requireModel(ctx.db, ref);
  const predictions = splitPredictedLabels(ctx.db, model.id, split.split);
  if (predictions.length === 0) {
    throw new UserError(
      'not-found',
      `model ${model.id} (${model.name}) has no predictions of the ${split.split} split: evaluate it first (orelab eval --model ${model.path} --db ${ctx.cataloguePath} --split ${split.split})`,
    );
  }
  const classes = new Set(model.classes.map(key));
  return { id: model.id, name: model.name, predictions, knows: (label) => classes.has(key(label)) };
}

function cvSide(db: Db, name: string): Side {
  const run = findCvRun(db, name);
  if (!run) {
    const known = cvRuns(db).map((r) => `"${r.name}"`).sort();
    throw new UserError('not-found', `no cross-validation run "${name}" in the catalogue${known.length ? `; known: ${known.join(', ')}` : ' (none has run on it yet)'}`);
  }
  const predictions = cvPredictedLabels(db, run.id);
  if (predictions.length === 0) throw new UserError('not-found', `cross-validation run "${name}" has no out-of-fold predictions yet (status: ${run.status})`);
  // Every out-of-fold prediction was scored against one of the run's classes.
  return { id: run.name, name: run.name, predictions, knows: () => true };
}

/** A specimen both sides predicted, with the one label both scored it against. */
interface Paired {
  specimenId: number;
  path: string;
  label: string;
  a: string;
  b: string;
}

/**
 * The specimens both sides predicted and can be scored on, in specimen id order; how many both predicted but
 * cannot be scored on alike (skipped), and how many only one side predicted (unpaired).
 */
function pairUp(a: Side, b: Side): { pairs: Paired[]; skipped: number; unpaired: number } {
  const ofB = new Map(b.predictions.map((p) => [p.specimenId, p]));
  const pairs: Paired[] = [];
  let skipped = 0;
  let common = 0;
  for (const pa of a.predictions) {
    const pb = ofB.get(pa.specimenId);
    if (!pb) continue;
    common++;
    // A CV run scores against the label as it was when its fold was trained: two runs may disagree.
    if (key(pa.label) !== key(pb.label) || !a.knows(pa.label) || !b.knows(pa.label)) skipped++;
    else pairs.push({ specimenId: pa.specimenId, path: pa.path, label: pa.label, a: pa.predicted, b: pb.predicted });
  }
  return { pairs, skipped, unpaired: a.predictions.length + b.predictions.length - 2 * common };
}

/** Class names of both sides, in name order, spelled as first seen; and a name's index. */
function classIndex(pairs: readonly Paired[]): { classes: string[]; indexOf: (name: string) => number } {
  const spelling = new Map<string, string>();
  for (const p of pairs) for (const name of [p.label, p.a, p.b]) if (!spelling.has(key(name))) spelling.set(key(name), name);
  const keys = [...spelling.keys()].sort();
  const index = new Map(keys.map((k, i) => [k, i]));
  return { classes: keys.map((k) => spelling.get(k)!), indexOf: (name) => index.get(key(name))! };
}

function sideFigures(side: Side, report: ClassificationReportWithIntervals): CompareSide {
  return { id: side.id, name: side.name, accuracy: report.accuracy, accuracy_ci: report.accuracy_ci, macro_f1: report.macro_f1, macro_f1_ci: report.macro_f1_ci };
}

export function compareClassifiers(ctx: ServiceContext, params: CompareParams): CompareResult {
  const { source } = params;
  const resolve = (ref: string) => (source.kind === 'split' ? modelSide(ctx, ref, source) : cvSide(ctx.db, ref));
  const a = resolve(params.a);
  const b = resolve(params.b);
  if (a.id === b.id) throw new UserError('invalid-input', `"${params.a}" and "${params.b}" are the same ${source.kind === 'split' ? 'model' : 'run'} (${a.id}): name two`);
  const { pairs, skipped, unpaired } = pairUp(a, b);
  const where = source.kind === 'split' ? `of the ${source.split} split` : 'out of fold';
  if (pairs.length === 0) {
    throw new UserError('not-found', `${a.id} and ${b.id} have predicted no labeled specimen ${where} in common${skipped ? ` that both can be scored on (${skipped} left out: a label not in both's classes, or scored differently)` : ''}`);
  }

  const { classes, indexOf } = classIndex(pairs);
  const truth = pairs.map((p) => indexOf(p.label));
  const predictedA = pairs.map((p) => indexOf(p.a));
  const predictedB = pairs.map((p) => indexOf(p.b));
  // Photos of one rock are one piece of evidence: the bootstrap resamples whole groups.
  const { groupOf } = photoGroups(ctx.db);
  const groups = pairs.map((p) => groupOf.get(p.specimenId) ?? p.specimenId);
  const bootstrap = { groups, resamples: params.resamples, seed: params.seed };
  const reportA = classificationReport(classes, truth, predictedA, bootstrap);
  const reportB = classificationReport(classes, truth, predictedB, bootstrap);
  const intervals = pairedBootstrapIntervals(classes.length, truth, predictedA, predictedB, bootstrap);

  const discordant = pairs.filter((_, i) => (truth[i] === predictedA[i]) !== (truth[i] === predictedB[i]));
  const onlyA = discordant.filter((p) => key(p.a) === key(p.label)).length;
  const onlyB = discordant.length - onlyA;
  return {
    source,
    n: pairs.length,
    skipped,
    unpaired,
    groups: new Set(groups).size,
    resamples: params.resamples,
    seed: params.seed,
    classes,
    a: sideFigures(a, reportA),
    b: sideFigures(b, reportB),
    difference: {
      accuracy: { estimate: reportA.accuracy - reportB.accuracy, ci: intervals.accuracy },
      macro_f1: { estimate: reportA.macro_f1 - reportB.macro_f1, ci: intervals.macro_f1 },
    },
    mcnemar: { b: onlyA, c: onlyB, p_value: mcnemarExactP(onlyA, onlyB) },
    discordant: discordant.map((p) => ({ id: p.specimenId, path: p.path, label: p.label, a_predicted: p.a, b_predicted: p.b })),
  };
}
