// The training choices are declared once (src/shared/training-options.ts): the schema, the CLI and the
// renderer are built from them, and every backbone must be a preset of an engine registry entry.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { BACKBONE_CHOICES, BACKBONES, TRAIN_DEFAULTS, VARIANTS } from '../../src/shared/training-options';
import { TrainParamsSchema } from '../../src/shared/schemas';
import { getArchitecture, vitConfig } from '../../src/main/engine';
import { createRun, openDatabase } from '../../src/main/catalogue';
import { runSummaries } from '../../src/main/ipc/models';
import { trainCommand } from '../../src/main/cli/commands/train';
import { tempDir } from '../helpers/fs';

test('every backbone choice is a preset of the engine architecture it names', () => {
  for (const b of BACKBONE_CHOICES) {
    const entry = getArchitecture(b.architecture);
    assert.ok(Object.hasOwn(entry.presets, b.preset), `${b.id}: no preset ${b.preset} in ${b.architecture}`);
  }
});

test('the schema and the CLI usage offer exactly the declared choices; others are refused', () => {
  for (const backbone of BACKBONES) assert.ok(TrainParamsSchema.safeParse({ outDir: 'x', backbone }).success, backbone);
  for (const variant of VARIANTS) assert.ok(TrainParamsSchema.safeParse({ outDir: 'x', variant }).success, variant);
  assert.equal(TrainParamsSchema.safeParse({ outDir: 'x', backbone: 'vit-x' }).success, false);
  assert.equal(TrainParamsSchema.safeParse({ outDir: 'x', variant: 'resnet' }).success, false);
  assert.match(trainCommand.usage, new RegExp(`--backbone ${BACKBONES.join('\\|')}\\]`));
  assert.match(trainCommand.usage, new RegExp(`--variant ${VARIANTS.join('\\|')}\\]`));
});

test('a stored run with a backbone this Orelab does not offer is listed, not resumable, and says why (no silent vit-ti)', () => {
  const dir = tempDir();
  const db = openDatabase(path.join(dir, 'c.sqlite'));
  const out = path.join(dir, 'run');
  const common = { config: { epochs: 3 }, outDir: out, datasetHash: 'h', classes: ['a', 'b'], classWeights: [1, 1] };
  createRun(db, { variant: 'mavit', backbone: 'vit-huge', ...common });
  createRun(db, { variant: 'mavit', backbone: 'vit-s', ...common });
  // What the trainer stores for a plain ViT: no weighting, no CBAM gate, no beta. Still resumable settings.
  createRun(db, { variant: 'vit', backbone: 'vit-ti', ...common, config: { epochs: 2, weighting: 'none', cbamGate: null, beta: null } });
  const [plain, known, unknown] = runSummaries(db).sort((x, y) => y.id - x.id);
  db.close();
  assert.equal(unknown!.settings, null);
  assert.equal(unknown!.resumable, false);
  assert.match(unknown!.settingsProblem ?? '', /run 1 .*backbone/);
  assert.equal(known!.settings?.backbone, 'vit-s');
  assert.equal(known!.settings?.epochs, 3);
  assert.equal(known!.settingsProblem, null);
  assert.equal(plain!.settingsProblem, null);
  assert.equal(plain!.settings?.variant, 'vit');
  assert.equal(plain!.settings?.epochs, 2);
});

test("the default DropPath rate of the schema is the engine's (the engine cannot import src/shared, so both say 0.1)", () => {
  assert.equal(TRAIN_DEFAULTS.dropPath, vitConfig('vit-ti', 7).dropPathRate);
  assert.equal(TrainParamsSchema.parse({ outDir: '/tmp/x' }).dropPath, TRAIN_DEFAULTS.dropPath);
});
