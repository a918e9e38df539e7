import { CSV_KINDS, ExportParamsSchema } from '../../../shared/schemas';
import { exportCsv } from '../../services/export';
import { boolOpt, DB_OPTION, JSON_OPTION, parseFlags, stringOpt, UsageError, writeJson, type Command, type FlagBinding } from '../command';
import { withCatalogue } from '../catalogue-arg';

/** The flags bound to ExportParams' fields (the kind is the positional argument; the CLI exports every split). */
const FLAGS: Readonly<Record<'modelId' | 'file', FlagBinding>> = {
  modelId: { flag: 'model', kind: 'text' },
  file: { flag: 'csv', kind: 'text' },
};

export const exportCommand: Command = {
  name: 'export',
  summary: "write a model's predictions, per-class metrics or confusion matrix from the catalogue as CSV",
  usage: `orelab export ${CSV_KINDS.join('|')} --db F --model ID --csv OUT [--json]`,
  options: { ...DB_OPTION, ...JSON_OPTION, model: { type: 'string' }, csv: { type: 'string' } },
  async run(args, io) {
    const kind = args.positionals[0];
    if (!kind || !(CSV_KINDS as readonly string[]).includes(kind) || args.positionals.length !== 1) throw new UsageError(`say what to export: ${CSV_KINDS.join(', ')}`);
    const out = stringOpt(args, 'csv');
    if (!stringOpt(args, 'model') || !out) throw new UsageError('--model ID and --csv OUT are required');
    const params = parseFlags(ExportParamsSchema, args, FLAGS, { kind });
    return withCatalogue(args, (db) => {
      const result = exportCsv({ db }, params);
      // The path as typed, as before: scripts compare it with what they passed.
      if (boolOpt(args, 'json')) writeJson(io, { kind: result.kind, model: result.modelId, csv: out, rows: result.rows });
      else io.stdout.write(`wrote ${result.rows} rows of ${result.kind} for model ${result.modelId} to ${out}\n`);
      return 0;
    });
  },
};
