import { GroupsListParamsSchema, GroupsSeparateParamsSchema, type GroupsListParams, type GroupsListResult, type HashBackfillResultInfo } from '../../../shared/schemas';
import { backfillHashes, listGroups, separateGroups } from '../../services/groups';
import { boolOpt, DB_OPTION, JSON_OPTION, parseFlags, stringOpt, UsageError, writeJson, type CliIo, type Command, type FlagBinding } from '../command';
import type { Db } from '../../catalogue';
import { withCatalogue } from '../catalogue-arg';
import { ProgressBar } from '../progress';

const FLAGS: { [K in keyof GroupsListParams]-?: FlagBinding } = {
  embeddingModel: { flag: 'embedding-model', kind: 'text' },
  minEmbeddingCosine: { flag: 'min-cosine', kind: 'number' },
};

export const groupsCommand: Command = {
  name: 'groups',
  summary: 'list photo groups (shared sample code, near-duplicate photos); --separate splits a wrong one; --backfill hashes older photos',
  usage: 'orelab groups [--separate ID[,ID...]] [--backfill] [--embedding-model SHA256 [--min-cosine C]] [--db F] [--json]',
  options: { ...DB_OPTION, ...JSON_OPTION, separate: { type: 'string' }, backfill: { type: 'boolean' }, 'embedding-model': { type: 'string' }, 'min-cosine': { type: 'string' } },
  async run(args, io) {
    if (args.positionals.length > 0) throw new UsageError(`unexpected argument "${args.positionals[0]}"`);
    const separate = stringOpt(args, 'separate');
    if (separate !== undefined && boolOpt(args, 'backfill')) throw new UsageError('give --separate or --backfill, not both');
    if (boolOpt(args, 'backfill')) return withCatalogue(args, (db) => runBackfill(db, io, boolOpt(args, 'json')));
    if (separate !== undefined) {
      const params = parseFlags(GroupsSeparateParamsSchema, args, FLAGS, { specimens: parseIds(separate) });
      return withCatalogue(args, async (db) => {
        const result = await separateGroups({ db }, params);
        if (boolOpt(args, 'json')) writeJson(io, result);
        else {
          for (const g of result.groups) io.stdout.write(`group ${g.group}: ${g.left.join(', ')} left it; ${g.remaining.join(', ')} remain\n`);
          io.stdout.write(`${result.cutsAdded} specimen pairs newly cut\n`);
        }
        return 0;
      });
    }
    const params = parseFlags(GroupsListParamsSchema, args, FLAGS);
    return withCatalogue(args, async (db) => {
      const bar = new ProgressBar(io.stderr, 'hashing photos', 'photo');
      const result = await listGroups({ db }, params, { signal: io.signal, onProgress: (p) => bar.update(p.done, p.total) });
      bar.done();
      if (boolOpt(args, 'json')) writeJson(io, result);
      else printGroups(io, result);
      return 0;
    });
  },
};

/** "12,15, 40" → [12, 15, 40]; anything but positive integers is a usage error naming what was typed. */
function parseIds(text: string): number[] {
  const parts = text.split(',').map((p) => p.trim());
  if (parts.some((p) => !/^[1-9][0-9]*$/.test(p))) throw new UsageError(`--separate takes specimen ids separated by commas (e.g. 12,15), got "${text}"`);
  return [...new Set(parts.map(Number))];
}

async function runBackfill(db: Db, io: CliIo, json: boolean): Promise<number> {
  const bar = new ProgressBar(io.stderr, 'hashing photos', 'photo');
  const result: HashBackfillResultInfo = await backfillHashes({ db }, { signal: io.signal, onProgress: (p) => bar.update(p.done, p.total) });
  bar.done();
  if (json) writeJson(io, result);
  else {
    io.stdout.write(`${result.cancelled ? 'Backfill cancelled: ' : ''}${result.hashed} photos hashed in ${result.seconds.toFixed(1)} s (${result.photosPerSecond.toFixed(0)}/s), ${result.remaining} without hashes\n`);
    for (const f of result.failed) io.stdout.write(`  failed: specimen ${f.id} ${f.path}: ${f.reason}\n`);
  }
  if (result.cancelled) return 130;
  return result.failed.length > 0 ? 1 : 0;
}

function printGroups(io: CliIo, result: GroupsListResult): void {
  const out = io.stdout;
  if (result.backfill) out.write(`(hashed ${result.backfill.hashed} photos imported before hashes existed)\n`);
  for (const g of result.groups) {
    out.write(`group ${g.group} (${g.members.length} specimens)\n`);
    for (const m of g.members) out.write(`  ${String(m.id).padStart(6)}  ${m.label ?? '(unlabeled)'}  ${m.split ?? '-'}  ${m.sampleCode ? `code ${m.sampleCode}  ` : ''}${m.path}\n`);
    for (const l of g.links) {
      const why = l.kind === 'sample-code' ? `sample code ${l.sampleCode}` : l.kind === 'near-duplicate' ? `near-duplicate (pHash ${l.phashDistance}, dHash ${l.dhashDistance} bits apart)` : `embedding cosine ${l.cosine.toFixed(3)}`;
      out.write(`    ${l.a}–${l.b}: ${why}\n`);
    }
  }
  const s = result.summary;
  out.write(`${s.groups} groups, ${s.groupedSpecimens} of ${s.specimens} specimens grouped`);
  out.write(s.unhashed ? `; ${s.unhashed} specimens have no perceptual hash (run orelab groups --backfill)\n` : '\n');
  out.write('A wrong group: orelab groups --separate ID[,ID...] (those specimens leave it).\n');
}
