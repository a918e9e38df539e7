import { trainModel, RECIPE, TrainingError, type TrainResult } from '../../jobs/train/train';
import { defaultWeightsPath } from '../../jobs/train/weights';
import { DatasetError } from '../../jobs/train/dataset';
import { WeightsFileError } from '../../engine/pretrained/tensor-file';
import { boolOpt, choiceOpt, CliError, DB_OPTION, JSON_OPTION, numberOpt, stringOpt, UsageError, writeJson, type Command } from '../command';
import { withCatalogue } from '../catalogue-arg';
import { formatDuration } from '../progress';
import { formatTable } from '../table';

export const trainCommand: Command = {
  name: 'train',
  summary: 'fine-tune MA-ViT (or the ViT baselines) on the catalogue; writes OUT/model.onnx and OUT/report.json',
  usage:
    'orelab train --db F --out DIR [--variant mavit|vit|vit-weighted] [--backbone vit-ti|vit-s|vit-b] [--weights FILE|none] [--epochs N] [--batch N] [--lr X] [--seed N] [--device auto|cpu|cuda] [--weighting inverse|effective] [--beta B] [--cbam-gate residual|plain] [--limit-per-class N] [--restart] [--json]',
  options: {
    ...DB_OPTION,
    ...JSON_OPTION,
    out: { type: 'string' },
    variant: { type: 'string' },
    backbone: { type: 'string' },
    weights: { type: 'string' },
    epochs: { type: 'string' },
    batch: { type: 'string' },
    lr: { type: 'string' },
    'weight-decay': { type: 'string' },
    seed: { type: 'string' },
    device: { type: 'string' },
    weighting: { type: 'string' },
    beta: { type: 'string' },
    'cbam-gate': { type: 'string' },
    'warmup-epochs': { type: 'string' },
    'limit-per-class': { type: 'string' },
    'image-size': { type: 'string' },
    restart: { type: 'boolean' },
  },
  async run(args, io) {
    const out = stringOpt(args, 'out');
    if (!out) throw new UsageError('--out DIR is required');
    const backbone = choiceOpt(args, 'backbone', ['vit-ti', 'vit-s', 'vit-b'] as const, 'vit-ti');
    const weightsArg = stringOpt(args, 'weights');
    if (!weightsArg && backbone !== 'vit-ti') throw new UsageError(`--backbone ${backbone} needs --weights FILE (a .safetensors or Google .npz of that ViT), or --weights none`);
    const weights = weightsArg === 'none' ? null : (weightsArg ?? defaultWeightsPath());
    const imageSize = numberOpt(args, 'image-size', 224, { integer: true, min: 32, max: 1024 });
    if (imageSize % 16 !== 0) throw new UsageError('--image-size must be a multiple of 16 (the patch size)');
    const limit = stringOpt(args, 'limit-per-class') === undefined ? undefined : numberOpt(args, 'limit-per-class', 0, { integer: true, min: 1 });
    // The learning rate must be above 0 (as TrainParamsSchema says): numberOpt's bounds are inclusive.
    const lr = numberOpt(args, 'lr', RECIPE.lr, { min: 0, max: 1 });
    if (lr <= 0) throw new UsageError(`--lr must be a number > 0 and <= 1, got "${stringOpt(args, 'lr')}"`);
    const json = boolOpt(args, 'json');
    return withCatalogue(args, async (db, cataloguePath) => {
      let lastLine = 0;
      let result: TrainResult;
      try {
        result = await trainModel({
          db,
          cataloguePath,
          outDir: out,
          variant: choiceOpt(args, 'variant', ['mavit', 'vit', 'vit-weighted'] as const, 'mavit'),
          backbone,
          weights,
          epochs: numberOpt(args, 'epochs', RECIPE.epochs, { integer: true, min: 1, max: 10000 }),
          batchSize: numberOpt(args, 'batch', RECIPE.batchSize, { integer: true, min: 1, max: 1024 }),
          lr,
          weightDecay: numberOpt(args, 'weight-decay', RECIPE.weightDecay, { min: 0, max: 1 }),
          seed: numberOpt(args, 'seed', 0, { integer: true, min: 0 }),
          device: choiceOpt(args, 'device', ['auto', 'cpu', 'cuda'] as const, 'auto'),
          weighting: choiceOpt(args, 'weighting', ['inverse', 'effective'] as const, 'inverse'),
          beta: numberOpt(args, 'beta', 0.99, { min: 0, max: 0.999999 }),
          cbamGate: choiceOpt(args, 'cbam-gate', ['residual', 'plain'] as const, 'residual'),
          warmupEpochs: numberOpt(args, 'warmup-epochs', 0, { integer: true, min: 0 }),
          ...(limit !== undefined ? { limitPerClass: limit } : {}),
          ...(imageSize !== 224 ? { vitOverrides: { imageSize } } : {}),
          restart: boolOpt(args, 'restart'),
          signal: io.signal,
          onProgress: (p) => {
            if (json) return;
            if (p.finishedEpoch) {
              const e = p.finishedEpoch;
              io.stderr.write(
                `${io.stderr.isTTY ? '\r\x1b[2K' : ''}epoch ${e.epoch + 1}/${p.epochs}: train loss ${e.trainLoss.toFixed(4)} acc ${(100 * e.trainAccuracy).toFixed(1)}%, val loss ${e.valLoss?.toFixed(4)} acc ${(100 * (e.valAccuracy ?? 0)).toFixed(1)}% F1 ${e.valMacroF1?.toFixed(3)}${e.kept ? ' (kept)' : ''}, ${e.imagesPerSecond.toFixed(1)} img/s, ETA ${p.etaSeconds === null ? '--' : formatDuration(p.etaSeconds)}\n`,
              );
            } else if (io.stderr.isTTY && Date.now() - lastLine > 250) {
              lastLine = Date.now();
              const detail = p.phase === 'training' ? `epoch ${p.epoch + 1}/${p.epochs} step ${p.step}/${p.stepsPerEpoch} loss ${p.trainLoss?.toFixed(4) ?? '--'} ${p.imagesPerSecond?.toFixed(1) ?? '--'} img/s ETA ${p.etaSeconds === null ? '--' : formatDuration(p.etaSeconds)}` : (p.message ?? p.phase);
              io.stderr.write(`\r\x1b[2K${p.phase}: ${detail}`);
            }
          },
        });
      } catch (err) {
        // A Ctrl-C before the first step (while the photos are prepared) ends as a cancel does: exit 130.
        if (err instanceof TrainingError || err instanceof DatasetError || err instanceof WeightsFileError) throw new CliError(err.message, io.signal.aborted ? 130 : 1);
        throw err;
      }
      if (io.stderr.isTTY && !json) io.stderr.write('\r\x1b[2K');
      if (json) writeJson(io, result);
      else printResult(io.stdout, result);
      return result.status === 'completed' ? 0 : 130;
    });
  },
};

function printResult(out: NodeJS.WritableStream, r: TrainResult): void {
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
