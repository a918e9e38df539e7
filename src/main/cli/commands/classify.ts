import fs from 'node:fs';
import { classifyFolder, type ClassifySummary } from '../../jobs/classify/classify';
import { OnnxClassifier } from '../../jobs/inference/classifier';
import { ModelFileError } from '../../jobs/inference/model-file';
import { ModelMetadataError } from '../../../shared/model-metadata';
import { resolveCataloguePath, openDatabase, type Db } from '../../catalogue';
import { boolOpt, choiceOpt, CliError, JSON_OPTION, numberOpt, stringOpt, UsageError, writeJson, type Command } from '../command';
import { ProgressBar } from '../progress';
import { formatTable } from '../table';

export const classifyCommand: Command = {
  name: 'classify',
  summary: 'classify a folder of photos with a model: CSV reports, optional sorting into class folders',
  usage:
    'orelab classify <folder> --model F [--db F] [--csv OUT] [--sort-into DIR (--copy|--move)] [--review-below P] [--batch N] [--device auto|cpu|cuda] [--json]',
  options: {
    ...JSON_OPTION,
    db: { type: 'string' },
    model: { type: 'string' },
    csv: { type: 'string' },
    'sort-into': { type: 'string' },
    copy: { type: 'boolean' },
    move: { type: 'boolean' },
    'review-below': { type: 'string' },
    batch: { type: 'string' },
    device: { type: 'string' },
  },
  async run(args, io) {
    const folder = args.positionals[0];
    if (!folder || args.positionals.length > 1) throw new UsageError('give exactly one folder to classify');
    const modelPath = stringOpt(args, 'model');
    if (!modelPath) throw new UsageError('--model F is required');
    const sortInto = stringOpt(args, 'sort-into');
    const copy = boolOpt(args, 'copy');
    const move = boolOpt(args, 'move');
    if (sortInto && copy === move) throw new UsageError('--sort-into needs exactly one of --copy or --move');
    if (!sortInto && (copy || move)) throw new UsageError('--copy and --move only apply with --sort-into DIR');
    const reviewBelow = numberOpt(args, 'review-below', 0, { min: 0, max: 1 });
    const batch = numberOpt(args, 'batch', 8, { integer: true, min: 1, max: 256 });
    const device = choiceOpt(args, 'device', ['auto', 'cpu', 'cuda'] as const, 'auto');
    if (!fs.existsSync(folder) || !fs.statSync(folder).isDirectory()) throw new CliError(`${folder}: no such folder`);

    let classifier: OnnxClassifier;
    try {
      classifier = await OnnxClassifier.open(modelPath, { providers: device === 'auto' ? ['cuda', 'cpu'] : [device], maxBatch: batch });
    } catch (err) {
      if (err instanceof ModelFileError || err instanceof ModelMetadataError) throw new CliError(err.message);
      throw new CliError(`${modelPath}: cannot load the model: ${(err as Error).message}`);
    }
    const dbPath = stringOpt(args, 'db');
    let db: Db | undefined;
    try {
      if (dbPath) {
        db = openDatabase(resolveCataloguePath(dbPath));
      }
      if (!boolOpt(args, 'json')) {
        const skipped = classifier.skippedProviders.map((s) => `${s.provider}: ${s.reason}`).join('; ');
        io.stderr.write(`model ${classifier.modelId} (${classifier.classes.length} classes) on ${classifier.provider}${skipped ? ` (${skipped})` : ''}\n`);
      }
      const bar = new ProgressBar(io.stderr, 'classify');
      const summary = await classifyFolder({
        folder,
        classifier,
        ...(db ? { db } : {}),
        ...(stringOpt(args, 'csv') ? { csv: stringOpt(args, 'csv')! } : {}),
        ...(sortInto ? { sortInto: { dir: sortInto, mode: move ? 'move' : 'copy' } } : {}),
        reviewBelow,
        batchSize: batch,
        signal: io.signal,
        onProgress: (p) => bar.update(p.done, p.total, `review ${p.review} err ${p.errors}`),
      });
      bar.done();
      if (boolOpt(args, 'json')) writeJson(io, { ...summary, provider: classifier.provider, accuracy: summary.report?.accuracy ?? null });
      else printSummary(io.stdout, summary);
      return summary.classified + summary.resumed === 0 && summary.errors.length > 0 ? 1 : 0;
    } finally {
      db?.close();
      await classifier.close();
    }
  },
};

function printSummary(out: NodeJS.WritableStream, s: ClassifySummary): void {
  out.write(`${s.cancelled ? 'Stopped' : 'Classified'} ${s.folder}: ${s.classified} classified, ${s.resumed} done earlier, ${s.errors.length} failed, ${s.review} for review\n`);
  out.write(`  predicted: ${Object.entries(s.predicted).map(([c, n]) => `${c} ${n}`).join(', ')}\n`);
  if (s.report) {
    out.write(`  accuracy ${(100 * s.report.accuracy).toFixed(1)}% and macro F1 ${s.report.macro_f1.toFixed(3)} over ${s.report.labeled} photos in class folders\n\n`);
    out.write(
      formatTable(
        ['class', 'support', 'precision', 'recall', 'F1'],
        s.report.per_class.map((c) => [c.class, String(c.support), c.precision.toFixed(3), c.recall.toFixed(3), c.f1.toFixed(3)]),
      ),
    );
  }
  if (s.files) out.write(`  reports: ${Object.values(s.files).filter(Boolean).join(', ')}\n`);
  if (s.sortedInto) out.write(`  sorted into ${s.sortedInto}\n`);
  out.write(`  ${s.seconds.toFixed(1)} s, ${s.imagesPerSecond.toFixed(1)} images/s\n`);
  for (const e of s.errors) out.write(`  error: ${e.path}: ${e.reason}\n`);
}
