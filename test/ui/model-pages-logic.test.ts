// The model pages' pure logic, in Node: which checkpoint is kept and why, path suggestions, heat-map colours.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { keptCheckpoint } from '../../src/shared/training';
import type { EpochMetrics } from '../../src/shared/ipc';
import { basename, batchOutputFolder, dirname, joinPath } from '../../src/renderer/lib/paths';
import { confusionShade } from '../../src/renderer/lib/heat';

const epoch = (i: number, valAccuracy: number, valLoss: number, kept: boolean): EpochMetrics => ({
  epoch: i,
  trainLoss: 1,
  trainAccuracy: 0.5,
  valLoss,
  valAccuracy,
  valMacroF1: 0.5,
  learningRate: 1e-4,
  seconds: 1,
  imagesPerSecond: 10,
  kept,
});

test('the kept checkpoint is the last kept epoch, with the trainer’s reason and what came after', () => {
  assert.equal(keptCheckpoint([]), null);
  assert.deepEqual(keptCheckpoint([epoch(0, 0.4, 1.2, true)]), { epoch: 0, valAccuracy: 0.4, valLoss: 1.2, reason: 'first epoch' });
  const rose = keptCheckpoint([epoch(0, 0.4, 1.2, true), epoch(1, 0.5, 1.1, true), epoch(2, 0.45, 1.0, false)]);
  assert.equal(rose?.epoch, 1);
  assert.equal(rose?.reason, 'validation accuracy rose to 50.00%; the 1 later epoch did not beat it');
  const tied = keptCheckpoint([epoch(0, 0.4, 1.2, true), epoch(1, 0.4, 1.1, true)]);
  assert.equal(tied?.reason, 'validation accuracy tied at 40.00% with a lower validation loss (1.1000)');
});

test('path suggestions keep the separator a path uses', () => {
  assert.equal(dirname('/data/cat/catalogue.sqlite'), '/data/cat');
  assert.equal(dirname('/catalogue.sqlite'), '/');
  assert.equal(dirname('C:\\lab\\catalogue.sqlite'), 'C:\\lab');
  assert.equal(basename('/data/photos/'), 'photos');
  assert.equal(joinPath('/data/photos-orelab/', 'predictions.csv'), '/data/photos-orelab/predictions.csv');
  assert.equal(joinPath('C:\\lab', 'x.csv'), 'C:\\lab\\x.csv');
  assert.equal(batchOutputFolder(' /data/new photos/ '), '/data/new photos-orelab');
  assert.equal(batchOutputFolder('  '), '');
});

test('confusion shades: green on the diagonal, red off it, by the share of the row', () => {
  assert.equal(confusionShade(0, 10, false), 'transparent');
  assert.equal(confusionShade(10, 10, true), 'rgb(26, 107, 69)', 'a whole row: the full green');
  assert.equal(confusionShade(1, 10, false), 'rgb(238, 214, 211)', 'a tenth: a light red');
});
