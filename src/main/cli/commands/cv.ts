import { CvParamsSchema, type CvParams } from '../../../shared/schemas';
import { BACKBONES, VARIANTS } from '../../../shared/training-options';
import { runCv, type CvResultInfo } from '../../services/cv';
import { boolOpt, DB_OPTION, flagOptions, JSON_OPTION, parseFlags, UsageError, writeJson, type CliIo, type Command, type FlagBinding } from '../command';
import { withCatalogue } from '../catalogue-arg';
import { formatInterval, formatTable } from '../table';
import { TRAIN_FLAGS, trainProgressPrinter } from './train';

/** Every training flag, and the folds': CvParams is TrainParams extended. */
const FLAGS: { [K in keyof CvParams]-?: FlagBinding } = {
  ...TRAIN_FLAGS,
  folds: { flag: 'folds', kind: 'number' },
  foldSeed: { flag: 'fold-seed', kind: 'number' },
  tta: { flag: 'tta', kind: 'boolean' },
  name: { flag: 'name', kind: 'text' },
};

export const cvCommand: Command = {
  name: 'cv',
  summary: 'k-fold cross-validation by photo group: K models, an out-of-fold prediction for every labeled specimen, OUT/cv.json with intervals',
  usage: `orelab cv --db F --out DIR [--folds K] [--fold-seed N] [--tta] [--name NAME] [--variant ${VARIANTS.join('|')}] [--backbone ${BACKBONES.join('|')}] [every orelab train option] [--restart] [--json]`,
  options: {
    ...DB_OPTION,
    ...JSON_OPTION,
    ...flagOptions(FLAGS),
  },
  async run(args, io) {
    if (args.values.out === undefined) throw new UsageError('--out DIR is required');
    const params = parseFlags(CvParamsSchema, args, FLAGS);
    const json = boolOpt(args, 'json');
    return withCatalogue(args, async (db, cataloguePath) => {
      const printers = new Map<number, ReturnType<typeof trainProgressPrinter>>();
      let scoringShown = -1;
      const result = await runCv({ db, cataloguePath }, params, {
        signal: io.signal,
        ...(json
          ? {}
          : {
              onProgress: (p) => {
                const prefix = `fold ${p.fold + 1}/${p.folds} `;
                if (p.train) {
                  if (!printers.has(p.fold)) printers.set(p.fold, trainProgressPrinter(io, prefix));
                  printers.get(p.fold)!(p.train);
                } else if (p.phase === 'scoring' && scoringShown !== p.fold) {
                  scoringShown = p.fold;
                  io.stderr.write(`${io.stderr.isTTY ? '\r\x1b[2K' : ''}${prefix}scoring its ${p.toScore} held-out photos${params.tta ? ' (8 views each)' : ''}\n`);
                }
              },
            }),
      });
      if (io.stderr.isTTY && !json) io.stderr.write('\r\x1b[2K');
      if (json) writeJson(io, result);
      else printCv(io, result);
      return result.status === 'completed' ? 0 : 130;
    });
  },
};

function printCv(io: CliIo, r: CvResultInfo): void {
  const out = io.stdout;
  if (r.status === 'cancelled' || !r.summary) {
    out.write('Cross-validation stopped; run the same command again to resume at the fold and epoch it reached.\n');
    return;
  }
  const s = r.summary;
  const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
  out.write(`Cross-validation "${s.name}": ${s.folds.length} folds over ${s.groups} photo groups; ${s.predicted} labeled specimens predicted out of fold${s.tta ? ' (TTA)' : ''}`);
  out.write(`${s.unlabeled > 0 ? `, ${s.unlabeled} unlabeled left out` : ''}${s.excluded > 0 ? `, ${s.excluded} excluded left out` : ''}${s.errors.length > 0 ? `, ${s.errors.length} unreadable` : ''}${r.resumedFolds > 0 ? `; ${r.resumedFolds} folds done earlier` : ''}\n`);
  out.write(formatTable(['fold', 'photos', 'kept epoch', 'accuracy', 'macro F1'], s.folds.map((f) => [String(f.fold), String(f.specimens), f.keptEpoch === null ? '--' : String(f.keptEpoch), pct(f.accuracy), f.macro_f1.toFixed(3)])));
  out.write(`\nPooled: accuracy ${pct(s.pooled.accuracy)} ${formatInterval(s.pooled.accuracy_ci, true)}, macro F1 ${s.pooled.macro_f1.toFixed(3)} ${formatInterval(s.pooled.macro_f1_ci, false)}; over folds ${pct(s.mean.accuracy)} ± ${pct(s.sd.accuracy)} (sd)\n`);
  out.write(
    formatTable(
      ['class', 'support', 'precision', 'recall (95% CI)', 'F1'],
      s.pooled.per_class.map((c) => [c.class, String(c.support), c.precision.toFixed(3), `${c.recall.toFixed(3)} ${formatInterval(c.recall_ci, false)}`, c.f1.toFixed(3)]),
    ),
  );
  for (const e of s.errors) out.write(`  left out: ${e.path}: ${e.reason}\n`);
  out.write(`\nsummary: ${r.summaryPath}\n`);
}
