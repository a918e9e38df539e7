import { StatsParamsSchema } from '../../../shared/schemas';
import { catalogueStats } from '../../catalogue';
import { boolOpt, DB_OPTION, JSON_OPTION, parseFlags, writeJson, type Command } from '../command';
import { withCatalogue } from '../catalogue-arg';
import { formatTable } from '../table';

export const statsCommand: Command = {
  name: 'stats',
  summary: 'per-class counts, shares, class weights, imbalance and split counts',
  usage: 'orelab stats [--beta B] [--db F] [--json]',
  options: { ...DB_OPTION, ...JSON_OPTION, beta: { type: 'string' } },
  async run(args, io) {
    // The app's catalogue.stats request takes the same schema: β in [0, 1).
    const { beta } = parseFlags(StatsParamsSchema, args, { beta: { flag: 'beta', kind: 'number' } });
    return withCatalogue(args, (db) => {
      const stats = catalogueStats(db, beta);
      if (boolOpt(args, 'json')) {
        writeJson(io, stats);
        return 0;
      }
      io.stdout.write(
        `${stats.total} specimens, ${stats.labeled} labeled in ${stats.classCount} classes, ${stats.unlabeled} unlabeled${stats.excluded ? `, ${stats.excluded} excluded` : ''}; imbalance ratio ${stats.imbalanceRatio.toFixed(2)}\n\n`,
      );
      io.stdout.write(
        formatTable(
          ['class', 'count', 'share', 'W=N/(C·n)', `eff.num β=${beta}`, 'n_max/n', 'train', 'val', 'test', 'unassigned'],
          stats.classes.map((c) => [
            c.name,
            String(c.count),
            (100 * c.share).toFixed(1) + '%',
            c.weightInverse.toFixed(3),
            c.weightEffective.toFixed(3),
            c.imbalanceRatio.toFixed(2),
            String(c.splits.train),
            String(c.splits.val),
            String(c.splits.test),
            String(c.splits.unassigned),
          ]),
        ),
      );
      return 0;
    });
  },
};
