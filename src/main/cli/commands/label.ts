import { createInterface } from 'node:readline/promises';
import { LabelByReferenceParamsSchema, LabelOpTargetSchema, type LabelOpAction, type LabelOpEffect } from '../../../shared/schemas';
import { describeLabelChange, labelByReference, redoLabels, undoLabels } from '../../services/label';
import { boolOpt, CliError, DB_OPTION, JSON_OPTION, parseFlags, stringOpt, UsageError, writeJson, type CliIo, type Command } from '../command';
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

/**
 * Asks "y/N" on a terminal; refuses (exit 2, nothing changed) when stdin is not one, since nobody can answer.
 * Only a bulk change asks: an import's folder labels, a merge, or more than BULK_UNDO_SPECIMENS specimens.
 */
async function confirmBulk(io: CliIo, effect: LabelOpEffect, yes: boolean): Promise<boolean> {
  if (!effect.bulk || yes) return true;
  const verb = effect.action === 'undo' ? 'Undo' : 'Redo';
  if (!process.stdin.isTTY) {
    throw new CliError(
      `${verb.toLowerCase()}ing "${effect.description}" changes ${effect.specimens} specimens (a bulk operation); stdin is not a terminal, so it cannot ask: run it again with --yes to confirm. Nothing was changed.`,
      2,
    );
  }
  const rl = createInterface({ input: process.stdin, output: io.stderr });
  try {
    const answer = await rl.question(`${verb} "${effect.description}"? ${effect.consequence} [y/N] `);
    return /^y(es)?$/i.test(answer.trim());
  } finally {
    rl.close();
  }
}

/** `orelab undo` and `orelab redo`: say what will change, confirm a bulk change, then do exactly that. */
function undoRedoCommand(action: LabelOpAction): Command {
  const [name, past] = action === 'undo' ? (['undo', 'undid'] as const) : (['redo', 'redid'] as const);
  return {
    name,
    summary:
      action === 'undo'
        ? 'revert a label operation: the last one, or --op ID (a label command, an import, a merge, an accepted prediction, a split fix)'
        : 'redo the last undone label operation, or --op ID (an operation that was undone)',
    usage: `orelab ${name} [--op ID] [--yes] [--db F] [--json]`,
    options: { ...DB_OPTION, ...JSON_OPTION, op: { type: 'string' }, yes: { type: 'boolean' } },
    async run(args, io) {
      const target = parseFlags(LabelOpTargetSchema, args, { opId: { flag: 'op', kind: 'number' } });
      const json = boolOpt(args, 'json');
      return withCatalogue(args, async (db) => {
        const effect = describeLabelChange({ db }, { action, opId: target.opId });
        if (!effect) {
          if (json) writeJson(io, { [action === 'undo' ? 'undoneOpId' : 'redoneOpId']: null });
          else io.stdout.write(`nothing to ${name}\n`);
          return 0;
        }
        // What it will do, before doing it: on stderr with --json, so stdout stays one JSON document.
        (json ? io.stderr : io.stdout).write(
          `${name} operation ${effect.opId} "${effect.description}" (${effect.source}, ${effect.kind}, ${effect.at}): ${effect.consequence}\n`,
        );
        if (!(await confirmBulk(io, effect, boolOpt(args, 'yes')))) {
          io.stderr.write(`not ${action === 'undo' ? 'undone' : 'redone'}: nothing was changed\n`);
          return 1;
        }
        // By id: exactly the operation described, or a clear error if it changed meanwhile.
        const result = action === 'undo' ? undoLabels({ db }, { opId: effect.opId }) : redoLabels({ db }, { opId: effect.opId });
        if (json) writeJson(io, result);
        else io.stdout.write(`${past} "${effect.description}": ${result!.summary}\n`);
        return 0;
      });
    },
  };
}

export const undoCommand = undoRedoCommand('undo');
export const redoCommand = undoRedoCommand('redo');
