import { assignSplits, parseRatios, DEFAULT_SPLIT_RATIOS } from '../../catalogue';
import { boolOpt, DB_OPTION, JSON_OPTION, numberOpt, stringOpt, UsageError, writeJson, type Command } from '../command';
import { withCatalogue } from '../catalogue-arg';

export const splitCommand: Command = {
  name: 'split',
  summary: 'assign labeled specimens to train/val/test, stratified by class (existing assignments are kept)',
  usage: 'orelab split [--seed N] [--ratios 8:1:1] [--db F] [--json]',
  options: { ...DB_OPTION, ...JSON_OPTION, seed: { type: 'string' }, ratios: { type: 'string' } },
  async run(args, io) {
    const seed = numberOpt(args, 'seed', 0, { integer: true, min: 0 });
    const ratiosText = stringOpt(args, 'ratios');
    let ratios = DEFAULT_SPLIT_RATIOS;
    try {
      if (ratiosText !== undefined) ratios = parseRatios(ratiosText);
    } catch (err) {
      throw new UsageError((err as Error).message);
    }
    return withCatalogue(args, (db) => {
      const result = assignSplits(db, seed, ratios);
      if (boolOpt(args, 'json')) writeJson(io, { seed, ratios, ...result });
      else {
        io.stdout.write(`${result.assigned} specimens assigned, ${result.alreadyAssigned} kept their split, ${result.unlabeled} unlabeled left out\n`);
        for (const [name, c] of Object.entries(result.perClass).sort(([a], [b]) => a.localeCompare(b))) io.stdout.write(`  ${name}: train ${c.train}, val ${c.val}, test ${c.test}\n`);
      }
      return 0;
    });
  },
};
