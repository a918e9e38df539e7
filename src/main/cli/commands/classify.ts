import { DEVICES } from '../../../shared/training-options';
import { ClassifyParamsSchema, type ClassifyParams } from '../../../shared/schemas';
import { resolveCataloguePath, openDatabase, type Db } from '../../catalogue';
import { checkClassify, openModelFile, runClassify, type ClassifyResultInfo } from '../../services/classify';
import { boolOpt, choiceOpt, JSON_OPTION, parseFlags, stringOpt, UsageError, writeJson, type Command, type FlagBinding } from '../command';
import { ProgressBar } from '../progress';
import { formatTable } from '../table';

/** The command line's names for the ClassifyParams fields it takes; the folder, the model and the catalogue come otherwise. */
const FLAGS: { [K in 'csv' | 'reviewBelow' | 'batchSize' | 'tta']-?: FlagBinding } = {
  csv: { flag: 'csv', kind: 'text' },
  reviewBelow: { flag: 'review-below', kind: 'number' },
  batchSize: { flag: 'batch', kind: 'number' },
  tta: { flag: 'tta', kind: 'boolean' },
};

export const classifyCommand: Command = {
  name: 'classify',
  summary: 'classify a folder of photos with a model: CSV reports, optional sorting into class folders',
  usage:
    `orelab classify <folder> --model F [--db F] [--csv OUT] [--sort-into DIR (--copy|--move)] [--review-below P] [--batch N] [--tta] [--device ${DEVICES.join('|')}] [--json]`,
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
    tta: { type: 'boolean' },
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
    const dbPath = stringOpt(args, 'db');
    // The model id is known once the file is open: until then the same schema checks every other field.
    const given = parseFlags(ClassifyParamsSchema.omit({ modelId: true }), args, FLAGS, {
      folder,
      sortInto: sortInto ? { dir: sortInto, mode: move ? 'move' : 'copy' } : null,
      recordInCatalogue: dbPath !== undefined,
    });
    const device = choiceOpt(args, 'device', DEVICES, 'auto');
    // Before the model is loaded: a mistyped folder should not wait for ONNX Runtime.
    checkClassify(given);

    const classifier = await openModelFile(modelPath, { device, maxBatch: given.batchSize });
    const params: ClassifyParams = { ...given, modelId: classifier.modelId };
    let db: Db | null = null;
    try {
      if (dbPath) db = openDatabase(resolveCataloguePath(dbPath));
      if (!boolOpt(args, 'json')) {
        const skipped = classifier.skippedProviders.map((s) => `${s.provider}: ${s.reason}`).join('; ');
        io.stderr.write(`model ${classifier.modelId} (${classifier.classes.length} classes) on ${classifier.provider}${skipped ? ` (${skipped})` : ''}\n`);
      }
      const bar = new ProgressBar(io.stderr, 'classify');
      const result = await runClassify({ db, classifier }, params, {
        signal: io.signal,
        onProgress: (p) => bar.update(p.done, p.total, `review ${p.review} err ${p.errors}`),
      });
      bar.done();
      if (boolOpt(args, 'json')) writeJson(io, { ...result, accuracy: result.report?.accuracy ?? null });
      else printSummary(io.stdout, result, db !== null);
      return result.classified + result.resumed === 0 && result.errors.length > 0 ? 1 : 0;
    } finally {
      db?.close();
      await classifier.close();
    }
  },
};

function printSummary(out: NodeJS.WritableStream, s: ClassifyResultInfo, recorded: boolean): void {
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
  if (s.copiedNotMoved.length > 0) {
    out.write(`  ${s.copiedNotMoved.length} photo(s) copied, not moved: the folder does not own them (symlinks, or files outside it), so their originals stay:\n`);
    for (const p of s.copiedNotMoved) out.write(`    ${p}\n`);
  }
  if (s.tta) out.write(`  ${ttaNote(recorded)}\n`);
  out.write(`  ${s.seconds.toFixed(1)} s, ${s.imagesPerSecond.toFixed(1)} images/s\n`);
  for (const e of s.errors) out.write(`  error: ${e.path}: ${e.reason}\n`);
}

/**
 * What a --tta run says it did. The catalogue keeps one prediction per model and photo, without saying how it
 * was made, so the note says that the augmented ones took the place of whatever was stored. Shared with eval.
 */
export function ttaNote(recorded: boolean): string {
  const mean = "test-time augmented: each photo's probabilities are the mean over its 8 flips and quarter turns";
  return recorded ? `${mean}; recorded in the catalogue in place of this model's earlier predictions of these photos` : mean;
}
