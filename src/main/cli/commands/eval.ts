import { DEVICES } from '../../../shared/training-options';
import { SPLITS, type Split } from '../../../shared/domain';
import type { ClassificationReport } from '../../../shared/metrics';
import { ClassifyParamsSchema, EvaluateParamsSchema } from '../../../shared/schemas';
import { writeCsvFile } from '../../jobs/classify/csv';
import { confusionHeader, confusionRows, METRICS_HEADER, metricsRows, reportFiles } from '../../jobs/classify/report';
import { openDatabase, resolveCataloguePath, type Db } from '../../catalogue';
import { openModelFile, runClassify } from '../../services/classify';
import { requireFolder, requireOutputFile } from '../../services/context';
import { runEvaluate } from '../../services/evaluate';
import { boolOpt, choiceOpt, CliError, JSON_OPTION, parseFlags, stringOpt, UsageError, writeJson, type Command, type FlagBinding } from '../command';
import { ttaNote } from './classify';
import { ProgressBar } from '../progress';
import { formatInterval, formatTable } from '../table';

/** The one EvaluateParams / ClassifyParams field the command line sets by flag; the rest come from the other options. */
const FLAGS: { [K in 'tta']-?: FlagBinding } = { tta: { flag: 'tta', kind: 'boolean' } };

export const evalCommand: Command = {
  name: 'eval',
  summary: 'score a model on a labeled folder or a catalogue split: accuracy, macro F1, per-class metrics, confusion',
  usage: `orelab eval --model F (<labeled-folder> | --db F --split test) [--db F] [--tta] [--device ${DEVICES.join('|')}] [--json] [--csv F]`,
  options: { ...JSON_OPTION, model: { type: 'string' }, db: { type: 'string' }, split: { type: 'string' }, csv: { type: 'string' }, device: { type: 'string' }, tta: { type: 'boolean' } },
  async run(args, io) {
    const modelPath = stringOpt(args, 'model');
    if (!modelPath) throw new UsageError('--model F is required');
    const folder = args.positionals[0];
    const split = stringOpt(args, 'split') as Split | undefined;
    const dbPath = stringOpt(args, 'db');
    if (args.positionals.length > 1) throw new UsageError('give at most one folder');
    if (!folder && !split) throw new UsageError('give a labeled folder, or --db F --split train|val|test');
    if (folder && split) throw new UsageError('give a labeled folder or --split, not both');
    if (split && !SPLITS.includes(split)) throw new UsageError(`--split must be one of ${SPLITS.join(', ')}`);
    if (split && !dbPath) throw new UsageError('--split needs --db F');
    if (folder) requireFolder(folder);
    // The metrics files go beside --csv: a path that cannot take them is refused before the evaluation runs.
    const csvArg = stringOpt(args, 'csv');
    if (split && csvArg) for (const f of [reportFiles(csvArg).metrics, reportFiles(csvArg).confusion]) requireOutputFile(f);
    const device = choiceOpt(args, 'device', DEVICES, 'auto');
    const classifier = await openModelFile(modelPath, { device });
    let db: Db | undefined;
    const bar = new ProgressBar(io.stderr, 'eval');
    try {
      if (dbPath) db = openDatabase(resolveCataloguePath(dbPath));
      let report: ClassificationReport;
      let notes: Record<string, unknown> = {};
      // Set when the run was interrupted (Ctrl-C, the signal) before every photo was scored.
      let partial: string | null = null;
      const csv = stringOpt(args, 'csv');
      // Test-time augmentation, as the run's params say.
      let tta = false;
      if (split) {
        const params = parseFlags(EvaluateParamsSchema, args, FLAGS, { modelId: classifier.modelId, split });
        tta = params.tta;
        const result = await runEvaluate({ db: db!, cataloguePath: resolveCataloguePath(dbPath), classifier }, params, {
          signal: io.signal,
          onProgress: (p) => bar.update(p.done, p.total),
        });
        report = result.report;
        notes = { split, unscored_labels: result.unknownLabels, errors: result.errors };
        if (result.partial) partial = `${result.scored} of the ${result.total} photos of the ${split} split`;
        // Metrics files cannot say they are partial, so an interrupted run writes none.
        if (csv && !partial) {
          const files = reportFiles(csv);
          writeCsvFile(files.metrics, METRICS_HEADER, metricsRows(report));
          writeCsvFile(files.confusion, confusionHeader(report.classes), confusionRows(report));
          notes.files = { metrics: files.metrics, confusion: files.confusion };
        }
      } else {
        // Scoring a labeled folder is classifying it: the same service as `orelab classify`, batches as large as the model takes.
        const params = parseFlags(ClassifyParamsSchema, args, FLAGS, {
          folder: folder!,
          modelId: classifier.modelId,
          csv: csv ?? null,
          batchSize: Math.min(classifier.maxBatch, 256),
          recordInCatalogue: db !== undefined,
        });
        tta = params.tta;
        const summary = await runClassify({ db: db ?? null, classifier }, params, { signal: io.signal, onProgress: (p) => bar.update(p.done, p.total) });
        if (!summary.report && summary.cancelled) throw new CliError('interrupted before any labeled photo was scored: no metrics', 130);
        if (!summary.report) throw new CliError(`${folder}: no photos in folders named after the model's classes (${classifier.classes.join(', ')})`);
        report = summary.report;
        notes = { folder: summary.folder, errors: summary.errors, ...(summary.files ? { files: summary.files } : {}) };
        if (summary.cancelled) partial = `the ${summary.report.labeled} labeled photos scored before the interruption, not the whole folder`;
      }
      bar.done();
      const { classes, accuracy, macro_f1, per_class, confusion, accuracy_ci, macro_f1_ci, ece, reliability } = report;
      // An interrupted evaluation still shows what it scored, but never as the final result: said on stderr,
      // and marked in the JSON, so that a script reading only stdout can tell.
      if (partial) io.stderr.write(`orelab eval: interrupted: PARTIAL metrics over ${partial}; run it again for the final result\n`);
      if (boolOpt(args, 'json')) writeJson(io, { classes, accuracy, macro_f1, per_class, confusion, accuracy_ci, macro_f1_ci, ece, reliability, model: classifier.modelId, partial: partial !== null, tta, ...notes });
      else {
        io.stdout.write(`model ${classifier.modelId}: ${partial ? 'PARTIAL (interrupted) ' : ''}accuracy ${(100 * accuracy).toFixed(2)}% ${formatInterval(accuracy_ci, true)}, macro F1 ${macro_f1.toFixed(4)} ${formatInterval(macro_f1_ci, false)} (95% intervals)\n\n`);
        io.stdout.write(formatTable(['class', 'support', 'precision', 'recall', 'F1'], per_class.map((c) => [c.class, String(c.support), c.precision.toFixed(3), c.recall.toFixed(3), c.f1.toFixed(3)])));
        io.stdout.write('\nconfusion (rows = true class, columns = predicted):\n');
        io.stdout.write(formatTable(['', ...classes.map((c) => c.slice(0, 6))], confusion.map((row, i) => [classes[i]!, ...row.map(String)])));
        if (tta) io.stdout.write(`\n${ttaNote(db !== undefined)}\n`);
      }
      // 130, as for any job stopped by Ctrl-C: an interrupted evaluation did not succeed.
      return partial ? 130 : 0;
    } finally {
      bar.done();
      db?.close();
      await classifier.close();
    }
  },
};
