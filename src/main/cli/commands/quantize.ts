import { SPLITS } from '../../../shared/domain';
import { runQuantize, MIN_AGREEMENT, MAX_ACCURACY_DROP, type QuantizeCheck, type QuantizeResult } from '../../services/quantize';
import { boolOpt, choiceOpt, JSON_OPTION, stringOpt, UsageError, writeJson, type CliIo, type Command } from '../command';
import { withCatalogue } from '../catalogue-arg';
import { ProgressBar } from '../progress';

export const quantizeCommand: Command = {
  name: 'quantize',
  summary: 'write an int8 copy of a model for CPU-only machines, checked against the float model on photos',
  usage: `orelab quantize --model F.onnx --out F.int8.onnx [--db F [--split ${SPLITS.join('|')}] | --check DIR] [--per-tensor] [--keep-float REGEX] [--force] [--json]   (--db: the catalogue's val split by default; --check: a folder of photos, class folders count as labels)`,
  options: { ...JSON_OPTION, db: { type: 'string' }, model: { type: 'string' }, out: { type: 'string' }, split: { type: 'string' }, check: { type: 'string' }, 'per-tensor': { type: 'boolean' }, 'keep-float': { type: 'string' }, force: { type: 'boolean' } },
  async run(args, io) {
    if (args.positionals.length > 0) throw new UsageError(`unexpected argument "${args.positionals[0]}"`);
    const model = stringOpt(args, 'model');
    const out = stringOpt(args, 'out');
    if (!model || !out) throw new UsageError('--model F.onnx and --out F.int8.onnx are required');
    const db = stringOpt(args, 'db');
    const folder = stringOpt(args, 'check');
    if (db !== undefined && folder !== undefined) throw new UsageError('give --db (check on a catalogue split) or --check DIR (a folder of photos), not both');
    if (stringOpt(args, 'split') !== undefined && db === undefined) throw new UsageError('--split needs --db');
    const split = choiceOpt(args, 'split', SPLITS, 'val');
    const keep = stringOpt(args, 'keep-float');
    let keepFloat: RegExp | undefined;
    try {
      keepFloat = keep === undefined ? undefined : new RegExp(keep);
    } catch {
      throw new UsageError(`--keep-float must be a regular expression over parameter names (e.g. 'mlp\\.fc2'), got "${keep}"`);
    }
    const base = { model, out, perChannel: !boolOpt(args, 'per-tensor'), force: boolOpt(args, 'force'), ...(keepFloat ? { keepFloat } : {}) };
    const bar = new ProgressBar(io.stderr, 'quantize');
    const hooks = { signal: io.signal, onProgress: (p: { stage: string; done: number; total: number }) => bar.update(p.done, p.total, p.stage) };
    const go = async (check: QuantizeCheck | null) => {
      const result = await runQuantize({ ...base, check }, hooks);
      bar.done();
      return report(io, result, boolOpt(args, 'json'));
    };
    if (db !== undefined) return withCatalogue(args, (handle, file) => go({ kind: 'split', db: handle, cataloguePath: file, split }));
    return go(folder !== undefined ? { kind: 'folder', dir: folder } : null);
  },
};

function report(io: CliIo, r: QuantizeResult, json: boolean): number {
  if (json) {
    writeJson(io, r);
    return 0;
  }
  const mb = (n: number) => `${(n / 1e6).toFixed(1)} MB`;
  io.stdout.write(`wrote ${r.out}: ${r.quantized.length} Linear layers in int8, ${r.keptFloat.length} kept in float (${r.keptFloat.map((k) => k.weight).join(', ') || 'none'}); ${mb(r.bytes.source)} → ${mb(r.bytes.int8)}\n`);
  const a = r.agreement;
  if (a) {
    const pct = (x: number | null) => (x === null ? 'n/a (no labels)' : `${(100 * x).toFixed(2)}%`);
    io.stdout.write(`  checked on ${a.photos} photos (${a.on}): agreement ${pct(a.agreement)}, largest probability change ${a.max_probability_change.toFixed(4)}, accuracy fp32 ${pct(a.accuracy_fp32)}, int8 ${pct(a.accuracy_int8)}\n`);
  } else if (r.foreign) {
    io.stderr.write('  warning: not an Orelab classifier: quantized, but its agreement with the source was not measured\n');
  } else {
    io.stderr.write('  warning: agreement not measured (give --db F for the catalogue\'s val split, or --check DIR)\n');
  }
  if (r.guardFailure) {
    io.stderr.write(`\n  WARNING: written only because of --force: ${r.guardFailure}.\n  The guard asks for at least ${100 * MIN_AGREEMENT}% agreement and at most ${100 * MAX_ACCURACY_DROP} point of accuracy lost; prefer the fp32 model.\n\n`);
  }
  return 0;
}
