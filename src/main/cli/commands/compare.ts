import { SPLITS } from '../../../shared/domain';
import { CompareParamsSchema, type CompareResult } from '../../../shared/schemas';
import { compareClassifiers } from '../../services/compare';
import { withCatalogue } from '../catalogue-arg';
import { boolOpt, choiceOpt, DB_OPTION, JSON_OPTION, parseFlags, stringOpt, UsageError, writeJson, type Command, type FlagBinding } from '../command';
import { formatInterval, formatTable } from '../table';

/** The flags bound to CompareParams' fields (A and B are the positional arguments; the source is --split or --cv). */
const FLAGS: Readonly<Record<'resamples' | 'seed', FlagBinding>> = {
  resamples: { flag: 'resamples', kind: 'number' },
  seed: { flag: 'seed', kind: 'number' },
};

/** A point figure; a difference gets its sign. The intervals are formatInterval's, as in every command. */
const percent = (x: number, sign = false) => `${sign && x >= 0 ? '+' : ''}${(100 * x).toFixed(2)}%`;
const decimal = (x: number, sign = false) => `${sign && x >= 0 ? '+' : ''}${x.toFixed(4)}`;

function printComparison(result: CompareResult, write: (text: string) => void): void {
  const { a, b, difference: d, mcnemar: m } = result;
  const where = result.source.kind === 'split' ? `the ${result.source.split} split` : 'out-of-fold predictions';
  const units = result.groups < result.n ? `${result.groups} photo groups` : 'specimens';
  const leftOut = [result.skipped ? `${result.skipped} with a label not scorable by both` : '', result.unpaired ? `${result.unpaired} predicted by one side only` : ''].filter(Boolean);
  write(`${result.n} labeled specimens of ${where} predicted by both${leftOut.length ? ` (left out: ${leftOut.join(', ')})` : ''}\n`);
  write(`95% intervals: Wilson (accuracy), bootstrap over ${units} (macro F1, differences; ${result.resamples} resamples, seed ${result.seed})\n\n`);
  const side = (tag: string, s: CompareResult['a']) => [tag, s.id === s.name ? s.id : `${s.id} (${s.name})`, percent(s.accuracy), formatInterval(s.accuracy_ci, true), decimal(s.macro_f1), formatInterval(s.macro_f1_ci, false)];
  const rows = [
    side('A', a),
    side('B', b),
    ['A − B', 'paired', percent(d.accuracy.estimate, true), formatInterval(d.accuracy.ci, true), decimal(d.macro_f1.estimate, true), formatInterval(d.macro_f1.ci, false)],
  ];
  write(formatTable(['', 'classifier', 'accuracy', '95% interval', 'macro F1', '95% interval'], rows));
  write(`\nMcNemar's exact test: right only by A ${m.b}, only by B ${m.c}; two-sided p = ${m.p_value.toPrecision(3)}\n`);
  if (result.discordant.length === 0) return;
  write(`\ndiscordant photos (${result.discordant.length}):\n`);
  write(formatTable(['id', 'label', 'A predicted', 'B predicted', 'path'], result.discordant.map((p) => [String(p.id), p.label, p.a_predicted, p.b_predicted, p.path])));
}

export const compareCommand: Command = {
  name: 'compare',
  summary: "paired comparison of two models on a split, or two cross-validation runs: McNemar's exact test, bootstrap intervals, discordant photos",
  usage: `orelab compare --db F A B (--split ${SPLITS.join('|')} | --cv) [--resamples N] [--seed N] [--json]   (A, B: model ids or unique prefixes; with --cv, run names)`,
  options: { ...DB_OPTION, ...JSON_OPTION, split: { type: 'string' }, cv: { type: 'boolean' }, resamples: { type: 'string' }, seed: { type: 'string' } },
  async run(args, io) {
    if (args.positionals.length !== 2) throw new UsageError('name the two models (or, with --cv, the two cross-validation runs) to compare');
    const [a, b] = args.positionals as [string, string];
    const cv = boolOpt(args, 'cv');
    if (cv === (stringOpt(args, 'split') !== undefined)) throw new UsageError('give --split S (two models evaluated on it) or --cv (two cross-validation runs), one of them');
    const source = cv ? { kind: 'cv' as const } : { kind: 'split' as const, split: choiceOpt(args, 'split', SPLITS, 'test') };
    const params = parseFlags(CompareParamsSchema, args, FLAGS, { a, b, source });
    return withCatalogue(args, (db, cataloguePath) => {
      const result = compareClassifiers({ db, cataloguePath }, params);
      if (boolOpt(args, 'json')) writeJson(io, result);
      else printComparison(result, (text) => io.stdout.write(text));
      return 0;
    });
  },
};
