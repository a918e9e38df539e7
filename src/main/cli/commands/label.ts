import { applyLabelChanges, ensureClass, resolveSpecimenRef, SpecimenReferenceError, undoLastLabelOp } from '../../catalogue';
import { boolOpt, CliError, DB_OPTION, JSON_OPTION, stringOpt, UsageError, writeJson, type Command } from '../command';
import { withCatalogue } from '../catalogue-arg';

export const labelCommand: Command = {
  name: 'label',
  summary: 'set the class of specimens, by sha256 prefix or path (one undoable operation)',
  usage: 'orelab label <sha-prefix|path>... --class NAME [--db F] [--json]',
  options: { ...DB_OPTION, ...JSON_OPTION, class: { type: 'string' } },
  async run(args, io) {
    const className = stringOpt(args, 'class');
    if (!className) throw new UsageError('--class NAME is required');
    if (args.positionals.length === 0) throw new UsageError('name at least one specimen (sha256 prefix or path)');
    return withCatalogue(args, (db) => {
      const ids: number[] = [];
      const problems: string[] = [];
      for (const ref of args.positionals) {
        try {
          ids.push(resolveSpecimenRef(db, ref));
        } catch (err) {
          if (err instanceof SpecimenReferenceError) problems.push(err.message);
          else throw err;
        }
      }
      // All or nothing: a typo in one reference should not half-apply a bulk relabel.
      if (problems.length) throw new CliError(problems.join('\n'));
      const opId = db.transaction(() => {
        const classId = ensureClass(db, className);
        return applyLabelChanges(db, { specimenIds: ids, toClassId: classId, source: 'manual', kind: 'label', description: `label ${ids.length} as ${className}` });
      })();
      const changed = opId === 0 ? 0 : (db.prepare('SELECT COUNT(*) AS n FROM label_history WHERE op_id = ?').get(opId) as { n: number }).n;
      if (boolOpt(args, 'json')) writeJson(io, { class: className, requested: ids.length, changed, opId });
      else io.stdout.write(`${changed} of ${ids.length} specimens relabeled as ${className}${changed < ids.length ? ' (the rest already were)' : ''}\n`);
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
      const result = undoLastLabelOp(db);
      if (boolOpt(args, 'json')) writeJson(io, result ?? { undoneOpId: null });
      else if (!result) io.stdout.write('nothing to undo\n');
      else io.stdout.write(`undid "${result.description}": ${result.reverted} reverted${result.skipped ? `, ${result.skipped} left as relabeled since` : ''}\n`);
      return 0;
    });
  },
};
