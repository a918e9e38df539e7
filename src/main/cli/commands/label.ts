import { LabelByReferenceParamsSchema } from '../../../shared/schemas';
import { labelByReference, undoLabels } from '../../services/label';
import { boolOpt, DB_OPTION, JSON_OPTION, parseFlags, stringOpt, UsageError, writeJson, type Command } from '../command';
import { withCatalogue } from '../catalogue-arg';

export const labelCommand: Command = {
  name: 'label',
  summary: 'set the class of specimens, by sha256 prefix or path (one undoable operation)',
  usage: 'orelab label <sha-prefix|path>... --class NAME [--db F] [--json]',
  options: { ...DB_OPTION, ...JSON_OPTION, class: { type: 'string' } },
  async run(args, io) {
    if (!stringOpt(args, 'class')) throw new UsageError('--class NAME is required');
    if (args.positionals.length === 0) throw new UsageError('name at least one specimen (sha256 prefix or path)');
    const params = parseFlags(LabelByReferenceParamsSchema, args, { className: { flag: 'class', kind: 'text' } }, { refs: args.positionals });
    return withCatalogue(args, (db) => {
      const result = labelByReference({ db }, params);
      if (boolOpt(args, 'json')) writeJson(io, result);
      else io.stdout.write(`${result.changed} of ${result.requested} specimens relabeled as ${result.class}${result.changed < result.requested ? ' (the rest already were)' : ''}\n`);
      return 0;
    });
  },
};

export const undoCommand: Command = {
  name: 'undo',
  summary: 'revert the last label operation (a label command, an import, a merge, an accepted prediction)',
  usage: 'orelab undo [--db F] [--json]',
  options: { ...DB_OPTION, ...JSON_OPTION },
  async run(args, io) {
    return withCatalogue(args, (db) => {
      const result = undoLabels({ db });
      if (boolOpt(args, 'json')) writeJson(io, result ?? { undoneOpId: null });
      else if (!result) io.stdout.write('nothing to undo\n');
      else io.stdout.write(`undid "${result.description}": ${result.reverted} reverted${result.skipped ? `, ${result.skipped} left as relabeled since` : ''}\n`);
      return 0;
    });
  },
};
