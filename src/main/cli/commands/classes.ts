import { ClassAddParamsSchema, ClassMergeParamsSchema, ClassRenameParamsSchema } from '../../../shared/schemas';
import { addClass, listClasses, mergeClasses, renameClass } from '../../services/label';
import { boolOpt, DB_OPTION, JSON_OPTION, parseFlags, UsageError, writeJson, type Command } from '../command';
import { withCatalogue } from '../catalogue-arg';

export const classesCommand: Command = {
  name: 'classes',
  summary: 'list, add, rename or merge classes',
  usage: 'orelab classes [list | add NAME | rename OLD NEW | merge FROM INTO] [--db F] [--json]',
  options: { ...DB_OPTION, ...JSON_OPTION },
  async run(args, io) {
    const [action = 'list', ...rest] = args.positionals;
    const arity: Record<string, number> = { list: 0, add: 1, rename: 2, merge: 2 };
    if (!(action in arity)) throw new UsageError(`unknown action "${action}"`);
    if (rest.length !== arity[action]) throw new UsageError(`"classes ${action}" takes ${arity[action]} argument(s)`);
    return withCatalogue(args, (db) => {
      // Positional arguments, no flags: parseFlags only checks them with the app's schemas. Classes are named
      // here (the app names them by id); the service takes either.
      if (action === 'add') addClass({ db }, parseFlags(ClassAddParamsSchema, args, {}, { name: rest[0] }));
      else if (action === 'rename') renameClass({ db }, parseFlags(ClassRenameParamsSchema, args, {}, { class: rest[0], name: rest[1] }));
      else if (action === 'merge') {
        const r = mergeClasses({ db }, parseFlags(ClassMergeParamsSchema, args, {}, { from: rest[0], into: rest[1] }));
        if (!boolOpt(args, 'json')) io.stdout.write(`merged ${rest[0]} into ${rest[1]}: ${r.moved} specimens relabeled (orelab undo reverts)\n`);
      }
      const classes = listClasses({ db });
      if (boolOpt(args, 'json')) writeJson(io, classes);
      else if (action === 'list') for (const c of classes) io.stdout.write(`${c.name}\t${c.count}\n`);
      return 0;
    });
  },
};
