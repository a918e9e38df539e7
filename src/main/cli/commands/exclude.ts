import { ExcludeByReferenceParamsSchema } from '../../../shared/schemas';
import { excludeByReference } from '../../services/exclude';
import { boolOpt, DB_OPTION, JSON_OPTION, parseFlags, UsageError, writeJson, type Command } from '../command';
import { withCatalogue } from '../catalogue-arg';

/**
 * `orelab exclude` and `orelab include`: photos that are not specimens (jewellery, a map, a screenshot) leave
 * training, evaluation, splitting and cross-validation, and come back, as one undoable label operation each.
 */
function exclusionCommand(exclude: boolean): Command {
  const [name, done, state] = exclude ? (['exclude', 'excluded', 'excluded'] as const) : (['include', 'included again', 'included'] as const);
  return {
    name,
    summary: exclude
      ? 'leave photos out of training, evaluation, splits and cross-validation, by sha256 prefix or path (undoable; label and split are kept)'
      : 'take excluded photos back into training and evaluation, by sha256 prefix or path (undoable)',
    usage: `orelab ${name} <sha-prefix|path>...${exclude ? ' [--reason TEXT]' : ''} [--db F] [--json]`,
    options: { ...DB_OPTION, ...JSON_OPTION, ...(exclude ? { reason: { type: 'string' } } : {}) },
    async run(args, io) {
      if (args.positionals.length === 0) throw new UsageError('name at least one specimen (sha256 prefix or path)');
      const params = parseFlags(ExcludeByReferenceParamsSchema, args, exclude ? { reason: { flag: 'reason', kind: 'text' } } : {}, {
        refs: args.positionals,
        exclude,
      });
      return withCatalogue(args, (db) => {
        const result = excludeByReference({ db }, params);
        if (boolOpt(args, 'json')) {
          writeJson(io, result);
          return 0;
        }
        const photos = (n: number) => `${n} photo${n === 1 ? '' : 's'}`;
        // Already in that state is not an error: the command asked for a state, and the photo is in it.
        for (const s of result.specimens.filter((x) => !x.changed)) io.stdout.write(`already ${state}: ${s.sha256.slice(0, 12)} ${s.path}\n`);
        if (result.changed === 0) io.stdout.write(`nothing to ${name}: ${result.unchanged === 1 ? 'the photo was' : `all ${photos(result.unchanged)} were`} already ${state}\n`);
        else io.stdout.write(`${photos(result.changed)} ${done} (operation ${result.opId}; orelab undo reverts it)\n`);
        return 0;
      });
    },
  };
}

export const excludeCommand = exclusionCommand(true);
export const includeCommand = exclusionCommand(false);
