import { ImportParamsSchema, type ImportParams } from '../../../shared/schemas';
import { checkImport, runImport } from '../../services/import';
import { boolOpt, DB_OPTION, JSON_OPTION, parseFlags, UsageError, writeJson, type Command, type FlagBinding } from '../command';
import { withCatalogue } from '../catalogue-arg';
import { ProgressBar } from '../progress';

/** The command line's names for ImportParams' flags; the folder is the one positional argument. */
const FLAGS: { [K in Exclude<keyof ImportParams, 'folder'>]-?: FlagBinding } = {
  labelsFromFolders: { flag: 'labels-from-folders', kind: 'boolean' },
};

export const importCommand: Command = {
  name: 'import',
  summary: 'add the photos under a folder to the catalogue',
  usage: 'orelab import <folder> [--labels-from-folders] [--db F] [--json]',
  options: { ...DB_OPTION, ...JSON_OPTION, 'labels-from-folders': { type: 'boolean' } },
  async run(args, io) {
    const folder = args.positionals[0];
    if (!folder || args.positionals.length > 1) throw new UsageError('give exactly one folder to import');
    const params = parseFlags(ImportParamsSchema, args, FLAGS, { folder });
    // Before the catalogue is opened (or created): a mistyped folder should leave no empty catalogue behind.
    checkImport(params);
    return withCatalogue(args, async (db, file) => {
      const bar = new ProgressBar(io.stderr, 'import');
      const result = await runImport({ db }, params, {
        signal: io.signal,
        onProgress: (p) => bar.update(p.done, p.total, `new ${p.new} dup ${p.duplicates} err ${p.errors}`),
      });
      bar.done();
      if (boolOpt(args, 'json')) {
        writeJson(io, { catalogue: file, ...result });
      } else {
        const out = io.stdout;
        out.write(`${result.cancelled ? 'Import cancelled' : 'Imported'} ${result.folder} into ${file}\n`);
        out.write(`  ${result.new} new, ${result.duplicates} already catalogued, ${result.errors.length} failed, ${result.skippedNonImage} non-image files skipped\n`);
        if (result.labeled) out.write(`  ${result.labeled} labeled from class folders\n`);
        out.write(`  catalogue: ${result.specimensTotal} specimens; ${Object.entries(result.classes).map(([k, v]) => `${k} ${v}`).join(', ') || 'no classes'}\n`);
        out.write(`  ${result.seconds.toFixed(1)} s, ${result.imagesPerSecond.toFixed(1)} images/s\n`);
        for (const e of result.errors) out.write(`  error: ${e.path}: ${e.reason}\n`);
        for (const w of result.warnings) out.write(`  warning: ${w.path}: ${w.reason}\n`);
      }
      // Non-zero only when nothing could be imported: a folder with a few bad files is still a good import.
      const nothingUsable = result.new + result.duplicates === 0;
      return nothingUsable && (result.errors.length > 0 || result.scanned === 0) ? 1 : 0;
    });
  },
};
