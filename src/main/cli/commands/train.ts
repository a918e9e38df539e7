import { TrainParamsSchema, type TrainParams } from '../../../shared/schemas';
import { BACKBONES, CBAM_GATES, DEVICES, KEEP_RULES, VARIANTS, WEIGHTINGS } from '../../../shared/training-options';
import { runTrain, type TrainProgressInfo, type TrainResultInfo } from '../../services/train';
import { boolOpt, DB_OPTION, flagOptions, JSON_OPTION, parseFlags, UsageError, writeJson, type CliIo, type Command, type FlagBinding } from '../command';
import { withCatalogue } from '../catalogue-arg';
import { formatDuration } from '../progress';
import { formatTable } from '../table';

/** The command line's names for TrainParams' fields: parsed and checked by the same schema as the app's form. */
export const TRAIN_FLAGS: { [K in keyof TrainParams]-?: FlagBinding } = {
  outDir: { flag: 'out', kind: 'text' },
  variant: { flag: 'variant', kind: 'text' },
  backbone: { flag: 'backbone', kind: 'text' },
  weights: { flag: 'weights', kind: 'text', none: 'none' },
  epochs: { flag: 'epochs', kind: 'number' },
  batchSize: { flag: 'batch', kind: 'number' },
  lr: { flag: 'lr', kind: 'number' },
  weightDecay: { flag: 'weight-decay', kind: 'number' },
  seed: { flag: 'seed', kind: 'number' },
  device: { flag: 'device', kind: 'text' },
  weighting: { flag: 'weighting', kind: 'text' },
  beta: { flag: 'beta', kind: 'number' },
  cbamGate: { flag: 'cbam-gate', kind: 'text' },
  warmupEpochs: { flag: 'warmup-epochs', kind: 'number' },
  dropPath: { flag: 'drop-path', kind: 'number' },
  keep: { flag: 'keep', kind: 'text' },
  imageSize: { flag: 'image-size', kind: 'number' },
  limitPerClass: { flag: 'limit-per-class', kind: 'number' },
  restart: { flag: 'restart', kind: 'boolean' },
};

export const trainCommand: Command = {
  name: 'train',
  summary: 'fine-tune MA-ViT (or the ViT baselines) on the catalogue; writes OUT/model.onnx and OUT/report.json',
  usage: `orelab train --db F --out DIR [--variant ${VARIANTS.join('|')}] [--backbone ${BACKBONES.join('|')}] [--weights FILE|none] [--epochs N] [--batch N] [--lr X] [--seed N] [--device ${DEVICES.join('|')}] [--weighting ${WEIGHTINGS.join('|')}] [--beta B] [--cbam-gate ${CBAM_GATES.join('|')}] [--drop-path X] [--keep ${KEEP_RULES.join('|')}] [--limit-per-class N] [--restart] [--json]`,
  options: {
    ...DB_OPTION,
    ...JSON_OPTION,
    ...flagOptions(TRAIN_FLAGS),
  },
  async run(args, io) {
    if (args.values.out === undefined) throw new UsageError('--out DIR is required');
    const params = parseFlags(TrainParamsSchema, args, TRAIN_FLAGS);
    const json = boolOpt(args, 'json');
    return withCatalogue(args, async (db, cataloguePath) => {
      const result = await runTrain({ db, cataloguePath }, params, { signal: io.signal, ...(json ? {} : { onProgress: trainProgressPrinter(io) }) });
      if (io.stderr.isTTY && !json) io.stderr.write('\r\x1b[2K');
      if (json) writeJson(io, result);
      else printResult(io.stdout, result);
      return result.status === 'completed' ? 0 : 130;
    });
  },
};

function printResult(out: NodeJS.WritableStream, r: TrainResultInfo): void {
  if (r.status === 'cancelled') {
    out.write(`Training stopped after ${r.epochs.length} epochs; run the same command again to resume (run ${r.runId}).\n`);
    return;
  }
  out.write(`Trained run ${r.runId} on ${r.provider}${r.providerNote ? ` (${r.providerNote})` : ''}${r.resumedFrom ? `, resumed at epoch ${r.resumedFrom.epoch + 1}` : ''}\n`);
  out.write(`  kept epoch ${(r.best?.epoch ?? 0) + 1}: ${r.best?.reason}\n`);
  out.write(`  model: ${r.modelPath}\n  report: ${r.reportPath}\n  ${r.trainImagesPerSecond.toFixed(1)} training images/s\n`);
  for (const e of r.dataErrors) out.write(`  left out: ${e.path}: ${e.reason}\n`);
  if (r.test) {
    out.write(`\nTest split: accuracy ${(100 * r.test.accuracy).toFixed(1)}%, macro F1 ${r.test.macro_f1.toFixed(3)}\n`);
    out.write(formatTable(['class', 'support', 'precision', 'recall', 'F1'], r.test.per_class.map((c) => [c.class, String(c.support), c.precision.toFixed(3), c.recall.toFixed(3), c.f1.toFixed(3)])));
  }
}

/**
 * Prints a run's progress to stderr: a line per finished epoch (a resumed run's earlier epochs only once), and
 * on a terminal a live status line in between. `prefix` names the run among several (a cross-validation's fold).
 */
export function trainProgressPrinter(io: CliIo, prefix = ''): (p: TrainProgressInfo) => void {
  let lastLine = 0;
  let epochsShown = -1;
  let runId: number | null = null;
  return (p) => {
    if (p.runId !== runId) {
      // A new run (the next fold): its earlier epochs, if resumed, were printed by the session that ran them.
      runId = p.runId;
      epochsShown = p.runId === null ? -1 : p.epochsDone.length;
    }
    if (epochsShown >= 0 && p.epochsDone.length > epochsShown) {
      for (const e of p.epochsDone.slice(epochsShown)) {
        io.stderr.write(
          `${io.stderr.isTTY ? '\r\x1b[2K' : ''}${prefix}epoch ${e.epoch + 1}/${p.epochs}: train loss ${e.trainLoss.toFixed(4)} acc ${(100 * e.trainAccuracy).toFixed(1)}%, val loss ${e.valLoss?.toFixed(4)} acc ${(100 * (e.valAccuracy ?? 0)).toFixed(1)}% F1 ${e.valMacroF1?.toFixed(3)}${e.kept ? ' (kept)' : ''}, ${e.imagesPerSecond.toFixed(1)} img/s, ETA ${p.etaSeconds === null ? '--' : formatDuration(p.etaSeconds)}\n`,
        );
      }
      epochsShown = p.epochsDone.length;
    } else if (io.stderr.isTTY && Date.now() - lastLine > 250) {
      lastLine = Date.now();
      const detail = p.phase === 'training' ? `epoch ${p.epoch + 1}/${p.epochs} step ${p.step}/${p.stepsPerEpoch} loss ${p.trainLoss?.toFixed(4) ?? '--'} ${p.imagesPerSecond?.toFixed(1) ?? '--'} img/s ETA ${p.etaSeconds === null ? '--' : formatDuration(p.etaSeconds)}` : (p.message ?? p.phase);
      io.stderr.write(`\r\x1b[2K${prefix}${p.phase}: ${detail}`);
    }
  };
}
