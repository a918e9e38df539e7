import { getModel, listModels } from '../../catalogue';
import { exportTable, type ExportKind } from '../../jobs/classify/export';
import { writeCsvFile } from '../../jobs/classify/csv';
import { boolOpt, CliError, DB_OPTION, JSON_OPTION, stringOpt, UsageError, writeJson, type Command } from '../command';
import { withCatalogue } from '../catalogue-arg';

const KINDS: readonly ExportKind[] = ['predictions', 'metrics', 'confusion'];

export const exportCommand: Command = {
  name: 'export',
  summary: "write a model's predictions, per-class metrics or confusion matrix from the catalogue as CSV",
  usage: 'orelab export predictions|metrics|confusion --db F --model ID --csv OUT [--json]',
  options: { ...DB_OPTION, ...JSON_OPTION, model: { type: 'string' }, csv: { type: 'string' } },
  async run(args, io) {
    const kind = args.positionals[0] as ExportKind | undefined;
    if (!kind || !KINDS.includes(kind) || args.positionals.length !== 1) throw new UsageError(`say what to export: ${KINDS.join(', ')}`);
    const modelId = stringOpt(args, 'model');
    const out = stringOpt(args, 'csv');
    if (!modelId || !out) throw new UsageError('--model ID and --csv OUT are required');
    return withCatalogue(args, (db) => {
      const model = getModel(db, modelId);
      if (!model) {
        const known = listModels(db).map((m) => `${m.id} (${m.name})`);
        throw new CliError(`no model "${modelId}" in the catalogue${known.length ? `; known: ${known.join(', ')}` : ' (none has run on it yet)'}`);
      }
      const { header, rows } = exportTable(db, model, kind);
      writeCsvFile(out, header, rows);
      if (boolOpt(args, 'json')) writeJson(io, { kind, model: model.id, csv: out, rows: rows.length });
      else io.stdout.write(`wrote ${rows.length} rows of ${kind} for model ${model.id} to ${out}\n`);
      return 0;
    });
  },
};
