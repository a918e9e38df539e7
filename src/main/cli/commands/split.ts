import { SplitParamsSchema, type SplitParams } from '../../../shared/schemas';
import { parseRatios } from '../../catalogue';
import { assignSplit } from '../../services/split';
import { boolOpt, DB_OPTION, JSON_OPTION, parseFlags, stringOpt, UsageError, writeJson, type Command, type FlagBinding } from '../command';
import { withCatalogue } from '../catalogue-arg';

/** The flags bound to SplitParams' plain fields; --ratios 8:1:1 has its own syntax (parsed below, then checked by the schema). */
const FLAGS: { [K in Exclude<keyof SplitParams, 'ratios'>]-?: FlagBinding } = {
  seed: { flag: 'seed', kind: 'number' },
};

export const splitCommand: Command = {
  name: 'split',
  summary: 'assign labeled specimens to train/val/test, stratified by class (existing assignments are kept)',
  usage: 'orelab split [--seed N] [--ratios 8:1:1] [--db F] [--json]',
  options: { ...DB_OPTION, ...JSON_OPTION, seed: { type: 'string' }, ratios: { type: 'string' } },
  async run(args, io) {
    const ratiosText = stringOpt(args, 'ratios');
    let fixed = {};
    try {
      if (ratiosText !== undefined) fixed = { ratios: parseRatios(ratiosText) };
    } catch (err) {
      throw new UsageError((err as Error).message);
    }
    const params = parseFlags(SplitParamsSchema, args, FLAGS, fixed);
    return withCatalogue(args, (db) => {
      const result = assignSplit({ db }, params);
      if (boolOpt(args, 'json')) writeJson(io, result);
      else {
        io.stdout.write(`${result.assigned} specimens assigned, ${result.alreadyAssigned} kept their split, ${result.unlabeled} unlabeled left out\n`);
        for (const [name, c] of Object.entries(result.perClass).sort(([a], [b]) => a.localeCompare(b))) io.stdout.write(`  ${name}: train ${c.train}, val ${c.val}, test ${c.test}\n`);
      }
      return 0;
    });
  },
};
