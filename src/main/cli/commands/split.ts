import { SplitParamsSchema, type SplitAuditInfo, type SplitParams } from '../../../shared/schemas';
import { parseRatios } from '../../catalogue';
import { assignSplit, auditSplits, fixSplits } from '../../services/split';
import { boolOpt, DB_OPTION, JSON_OPTION, parseFlags, stringOpt, UsageError, writeJson, type CliIo, type Command, type FlagBinding } from '../command';
import { withCatalogue } from '../catalogue-arg';

/** The flags bound to SplitParams' plain fields; --ratios 8:1:1 has its own syntax (parsed below, then checked by the schema). */
const FLAGS: { [K in Exclude<keyof SplitParams, 'ratios'>]-?: FlagBinding } = {
  seed: { flag: 'seed', kind: 'number' },
};

export const splitCommand: Command = {
  name: 'split',
  summary: 'assign labeled specimens to train/val/test, stratified by class, a photo group whole (existing assignments are kept); --audit lists the groups that span splits, --fix moves them (orelab undo reverts)',
  usage: 'orelab split [--seed N] [--ratios 8:1:1] [--db F] [--json]\n       orelab split --audit [--db F] [--json]\n       orelab split --fix [--db F] [--json]',
  options: { ...DB_OPTION, ...JSON_OPTION, seed: { type: 'string' }, ratios: { type: 'string' }, audit: { type: 'boolean' }, fix: { type: 'boolean' } },
  async run(args, io) {
    const audit = boolOpt(args, 'audit');
    const fix = boolOpt(args, 'fix');
    if (audit || fix) {
      if (audit && fix) throw new UsageError('--audit and --fix are separate steps: audit first, then fix');
      if (stringOpt(args, 'seed') !== undefined || stringOpt(args, 'ratios') !== undefined) throw new UsageError(`--seed and --ratios make a split; --${audit ? 'audit' : 'fix'} does not`);
      return withCatalogue(args, async (db) => {
        if (audit) {
          const result = await auditSplits({ db });
          if (boolOpt(args, 'json')) writeJson(io, result);
          else writeAudit(io, result);
        } else {
          const result = await fixSplits({ db });
          if (boolOpt(args, 'json')) writeJson(io, result);
          else io.stdout.write(result.moved.length === 0 ? 'no photo group spans two splits; nothing moved\n' : `${result.moved.length} specimens moved into their group's split (orelab undo reverts)\n`);
        }
        return 0;
      });
    }
    const ratiosText = stringOpt(args, 'ratios');
    let fixed = {};
    try {
      if (ratiosText !== undefined) fixed = { ratios: parseRatios(ratiosText) };
    } catch (err) {
      throw new UsageError((err as Error).message);
    }
    const params = parseFlags(SplitParamsSchema, args, FLAGS, fixed);
    return withCatalogue(args, async (db) => {
      const result = await assignSplit({ db }, params);
      if (boolOpt(args, 'json')) writeJson(io, result);
      else {
        io.stdout.write(`${result.assigned} specimens assigned, ${result.alreadyAssigned} kept their split, ${result.unlabeled} unlabeled left out\n`);
        for (const [name, c] of Object.entries(result.perClass).sort(([a], [b]) => a.localeCompare(b))) io.stdout.write(`  ${name}: train ${c.train}, val ${c.val}, test ${c.test}\n`);
      }
      return 0;
    });
  },
};

function writeAudit(io: CliIo, audit: SplitAuditInfo): void {
  io.stdout.write(`${audit.groups} photo groups hold ${audit.grouped_specimens} specimens; ${audit.leaks.length} span more than one split\n`);
  for (const leak of audit.leaks) {
    io.stdout.write(`  group ${leak.group}:\n`);
    for (const s of leak.specimens) io.stdout.write(`    ${s.split ?? 'no split'}\t${s.sha256.slice(0, 12)}\t${s.path}\n`);
  }
  if (audit.leaks.length > 0) io.stdout.write('orelab split --fix moves each group into the split of its first specimen\n');
}
