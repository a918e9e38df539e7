import { LabelIssuesParamsSchema, LABEL_ISSUE_MODES, RANK_BY, type LabelIssuesParams, type LabelIssuesResult } from '../../../shared/schemas';
import { DEVICES } from '../../../shared/training-options';
import { findLabelIssues } from '../../services/label-issues';
import { boolOpt, DB_OPTION, flagOptions, JSON_OPTION, parseFlags, stringOpt, UsageError, writeJson, type CliIo, type Command, type FlagBinding } from '../command';
import { withCatalogue } from '../catalogue-arg';
import { ProgressBar } from '../progress';
import { formatTable } from '../table';

const FLAGS: { [K in keyof LabelIssuesParams]-?: FlagBinding } = {
  mode: { flag: 'mode', kind: 'text' },
  cvRun: { flag: 'cv-run', kind: 'text' },
  folds: { flag: 'folds', kind: 'number' },
  seed: { flag: 'seed', kind: 'number' },
  model: { flag: 'model', kind: 'text' },
  device: { flag: 'device', kind: 'text' },
  rankBy: { flag: 'rank-by', kind: 'text' },
  outlierK: { flag: 'outlier-k', kind: 'number' },
};

export const labelIssuesCommand: Command = {
  name: 'label-issues',
  summary: 'find likely wrong labels in the whole catalogue (confident learning on out-of-fold probabilities) and photos that are no specimen (outliers)',
  usage:
    `orelab label-issues --db F [--mode ${LABEL_ISSUE_MODES.join('|')}] [--cv-run NAME|ID] [--folds K] [--seed N] [--model F.onnx|MODEL-ID] ` +
    `[--device ${DEVICES.join('|')}] [--rank-by ${RANK_BY.join('|')}] [--outlier-k K] [--limit N] [--json]`,
  options: { ...DB_OPTION, ...JSON_OPTION, ...flagOptions(FLAGS), limit: { type: 'string' } },
  async run(args, io) {
    if (args.positionals.length > 0) throw new UsageError(`unexpected argument "${args.positionals[0]}"`);
    const mode = stringOpt(args, 'mode') ?? 'quick';
    if (mode === 'cv' && stringOpt(args, 'cv-run') === undefined) throw new UsageError('--mode cv needs --cv-run NAME|ID (an orelab cv run of this catalogue)');
    if (mode !== 'cv' && stringOpt(args, 'cv-run') !== undefined) throw new UsageError('--cv-run needs --mode cv');
    if (mode === 'cv' && stringOpt(args, 'folds') !== undefined) throw new UsageError('--folds is for --mode quick; a cv run has its own folds');
    const params = parseFlags(LabelIssuesParamsSchema, args, FLAGS);
    const limitText = stringOpt(args, 'limit');
    const limit = limitText === undefined ? 20 : Number(limitText);
    if (!Number.isInteger(limit) || limit < 0) throw new UsageError(`--limit must be a whole number, got "${limitText}"`);
    const json = boolOpt(args, 'json');
    return withCatalogue(args, async (db, cataloguePath) => {
      const bar = new ProgressBar(io.stderr, 'embed');
      const result = await findLabelIssues({ db, cataloguePath }, params, {
        signal: io.signal,
        onProgress: (p) => {
          if (p.phase === 'embedding') bar.update(p.done, p.total);
        },
      });
      bar.done();
      if (json) writeJson(io, result);
      else printIssues(io, result, limit);
      return 0;
    });
  },
};

function printIssues(io: CliIo, r: LabelIssuesResult, limit: number): void {
  const out = io.stdout;
  const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
  const source = r.mode === 'cv' ? `cross-validation run "${r.source.cv_run}"` : `${r.source.folds}-fold logistic regression on ${r.source.embedding_model.name} embeddings`;
  out.write(`Audited ${r.specimens_scored} labeled specimens (${source}); estimated noise rate ${pct(r.estimated_noise_rate)}; ${r.issues.length} label issues, ${r.outliers.length} outliers\n`);
  for (const t of r.too_small) out.write(`  too small to audit: "${t.class}" (${t.specimens} photos of ${t.groups} ${t.groups === 1 ? 'rock' : 'rocks'}; needs ${r.source.folds})\n`);
  if (r.unscored > 0) out.write(`  not scored: ${r.unscored} labeled specimens without an embedding or an out-of-fold prediction\n`);
  for (const e of r.embedding_errors) out.write(`  unreadable: ${e.path}: ${e.reason}\n`);
  if (r.issues.length > 0) {
    out.write(`\nLabel issues (ranked by ${r.rank_by}${r.issues.length > limit ? `; the first ${limit} of ${r.issues.length}, --limit N or --json for more` : ''}):\n`);
    out.write(
      formatTable(
        ['rank', 'id', 'label', 'p(label)', 'suggested', 'p(suggested)', 'neighbours', 'path'],
        r.issues.slice(0, limit).map((i) => [
          String(i.rank),
          String(i.id),
          i.label,
          i.label_probability.toFixed(3),
          i.suggested,
          (i.probabilities[i.suggested] ?? 0).toFixed(3),
          i.neighbours.map((n) => n.label).join(','),
          i.path,
        ]),
      ),
    );
  }
  if (r.outliers.length > 0) {
    out.write(`\nOutliers (mean cosine distance to the ${r.outlier_k} nearest photos of other rocks above ${r.outlier_threshold.toFixed(3)}; exclude them rather than relabel):\n`);
    out.write(formatTable(['id', 'score', 'label', 'path'], r.outliers.slice(0, limit).map((o) => [String(o.id), o.score.toFixed(3), o.label ?? '--', o.path])));
  }
  out.write(`\n${r.seconds.toFixed(1)} s\n`);
}
