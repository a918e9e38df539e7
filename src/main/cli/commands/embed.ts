import { DEVICES } from '../../../shared/training-options';
import { EmbedParamsSchema, type EmbedParams } from '../../../shared/schemas/embed';
import { ensureEmbeddings } from '../../services/embed';
import { boolOpt, DB_OPTION, JSON_OPTION, parseFlags, UsageError, writeJson, type Command, type FlagBinding } from '../command';
import { withCatalogue } from '../catalogue-arg';
import { ProgressBar } from '../progress';

const FLAGS: { [K in keyof EmbedParams]-?: FlagBinding } = {
  model: { flag: 'model', kind: 'text' },
  device: { flag: 'device', kind: 'text' },
};

export const embedCommand: Command = {
  name: 'embed',
  summary: 'store a backbone embedding of every specimen (cached per model file: a re-run embeds only the missing ones)',
  usage: `orelab embed [--model F.onnx|MODEL-ID] [--device ${DEVICES.join('|')}] [--db F] [--json]   (default model: the shipped pretrained ViT-Ti)`,
  options: { ...DB_OPTION, ...JSON_OPTION, model: { type: 'string' }, device: { type: 'string' } },
  async run(args, io) {
    if (args.positionals.length > 0) throw new UsageError(`unexpected argument "${args.positionals[0]}"`);
    const params = parseFlags(EmbedParamsSchema, args, FLAGS);
    return withCatalogue(args, async (db, file) => {
      const bar = new ProgressBar(io.stderr, 'embed');
      const result = await ensureEmbeddings({ db, cataloguePath: file }, params, {
        signal: io.signal,
        onProgress: (p) => bar.update(p.done, p.total, p.errors > 0 ? `err ${p.errors}` : ''),
      });
      bar.done();
      if (boolOpt(args, 'json')) writeJson(io, { catalogue: file, ...result });
      else {
        const m = result.model;
        io.stdout.write(`${result.cancelled ? 'Embedding cancelled' : 'Embedded'}: ${m.name}, sha256 ${m.sha256.slice(0, 16)}, ${m.dim ?? '?'} values per specimen\n`);
        io.stdout.write(`  ${result.embedded} embedded now, ${result.cached} already stored, ${result.errors.length} failed, of ${result.specimens} specimens; ${result.seconds.toFixed(1)} s\n`);
        for (const e of result.errors) io.stdout.write(`  error: ${e.path}: ${e.reason}\n`);
      }
      if (result.cancelled) return 130;
      // Non-zero only when no specimen has a vector: a few unreadable photos do not fail the run.
      return result.errors.length > 0 && result.embedded + result.cached === 0 ? 1 : 0;
    });
  },
};
