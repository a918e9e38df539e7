// The starting catalogues of the end-to-end flows, prepared through the services (the catalogue functions,
// importFolder, a tiny exported model, evaluateCatalogueSplit) rather than by clicking: the clicking is what
// each flow tests. freshCatalogue(state) gives a flow its own copy.
//
// Each state is built once (from the state one step short of it) and copied for every flow that asks. The
// cache folder is ORELAB_E2E_CACHE when scripts/e2e.mjs gives one (the same for every file of a run, which runs
// the files one after another), else a folder of this process's own.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import {
  assignSplits,
  createRun,
  listClasses,
  openDatabase,
  putEpochMetrics,
  registerModel,
  setRunBest,
  setRunStatus,
  updateSpecimenMetadata,
  type Db,
} from '../../src/main/catalogue';
import type { OnnxClassifier } from '../../src/main/jobs/inference/classifier';
import { MINERALS7 } from '../helpers/fs';

// The services that build catalogues are loaded when a catalogue is built: a file whose catalogues are all in
// the cache does not load ONNX Runtime or the engine for nothing.

/** minerals7's photos per class folder. */
export const COUNTS = { biotite: 58, bornite: 144, chrysocolla: 138, malachite: 198, muscovite: 65, pyrite: 82, quartz: 119 };

/** What a flow's catalogue holds; each item implies the ones before it. */
export interface CatalogueState {
  /** minerals7 imported by importFolder... */
  imported?: boolean;
  /** ...with labels from its class folders (the default; `labeled: false` imports without them). */
  labeled?: boolean;
  /** ...split 8:1:1 with seed 7 by assignSplits, as the Rebalancing page does. */
  split?: boolean;
  /** ...and a tiny exported MA-ViT (test/helpers/model.ts) over the 7 classes, registered as a catalogue model. */
  model?: boolean;
  /** ...which has classified the test split (evaluateCatalogueSplit: the predictions an evaluation stores). */
  predictions?: boolean;
  /**
   * ...and a completed training run (run 1: mavit, ViT-Ti, 32 px, 2 epochs of metrics) that produced that model,
   * as a run on the Training page leaves it.
   */
  trainedRun?: boolean;
}

type Step = 'import' | 'import-unlabeled' | 'split' | 'model' | 'predictions' | 'trainedRun';
const LATER_STEPS = ['split', 'model', 'predictions', 'trainedRun'] as const;

/** The steps a state needs, in order: each item implies those before it. */
function stepsFor(state: CatalogueState): Step[] {
  const last = Math.max(-1, ...LATER_STEPS.map((s, i) => (state[s] ? i : -1)));
  if (last < 0 && !state.imported && !state.labeled) return [];
  if (last >= 0 && state.labeled === false) throw new Error('splits, models and runs need labels: leave `labeled` out');
  return [state.labeled === false ? 'import-unlabeled' : 'import', ...LATER_STEPS.slice(0, last + 1)];
}

export interface PreparedCatalogue {
  /** The flow's folder: the catalogue, and the harness's files (removed when the flow ends). */
  dir: string;
  dbPath: string;
  /** The registered model, when the state has one. */
  model: { id: string; path: string } | null;
}

const CACHE = process.env.ORELAB_E2E_CACHE ?? fs.mkdtempSync(path.join(os.tmpdir(), 'orelab-e2e-cache-'));
if (!process.env.ORELAB_E2E_CACHE) process.on('exit', () => fs.rmSync(CACHE, { recursive: true, force: true }));

const templates = new Map<string, Promise<string>>();

/** The cached catalogue file for these steps, built (once) from the one with one step fewer. */
function template(steps: Step[]): Promise<string> {
  const key = steps.length ? steps.join('+') : 'empty';
  let built = templates.get(key);
  if (!built) {
    built = buildTemplate(key, steps);
    templates.set(key, built);
  }
  return built;
}

async function buildTemplate(key: string, steps: Step[]): Promise<string> {
  const file = path.join(CACHE, key, 'catalogue.sqlite');
  if (fs.existsSync(file)) return file;
  // Built beside, then renamed into place: a half-built catalogue is never found by another file.
  const building = fs.mkdtempSync(path.join(CACHE, `${key}.building-`));
  const dbPath = path.join(building, 'catalogue.sqlite');
  if (steps.length > 0) fs.copyFileSync(await template(steps.slice(0, -1)), dbPath);
  const db = openDatabase(dbPath);
  try {
    if (steps.length > 0) await applyStep(db, dbPath, steps.at(-1)!);
  } finally {
    db.close();
  }
  try {
    fs.renameSync(building, path.dirname(file));
  } catch (err) {
    // Another process built it meanwhile: theirs is the same.
    if (!fs.existsSync(file)) throw err;
    fs.rmSync(building, { recursive: true, force: true });
  }
  return file;
}

/** The tiny model, exported once per cache over the catalogue's classes (sorted by name, as the trainer has them). */
let exportedModel: Promise<string> | null = null;
const tinyModel = () => (exportedModel ??= exportTinyModel());

async function exportTinyModel(): Promise<string> {
  const dir = path.join(CACHE, 'model');
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, 'tiny-mavit-1.onnx');
  if (!fs.existsSync(file)) {
    const { makeTinyClassifier } = await import('../helpers/model');
    const exported = makeTinyClassifier(fs.mkdtempSync(path.join(dir, 'export-')), Object.keys(COUNTS).sort(), { seed: 1 });
    fs.renameSync(exported, file);
  }
  return file;
}

async function withClassifier<T>(fn: (c: OnnxClassifier) => Promise<T> | T): Promise<T> {
  const { OnnxClassifier } = await import('../../src/main/jobs/inference/classifier');
  const classifier = await OnnxClassifier.open(await tinyModel(), { providers: ['cpu'], workers: 1 });
  try {
    return await fn(classifier);
  } finally {
    await classifier.close();
  }
}

async function applyStep(db: Db, dbPath: string, step: Step): Promise<void> {
  switch (step) {
    case 'import':
    case 'import-unlabeled': {
      const { importFolder } = await import('../../src/main/jobs/import');
      const result = await importFolder(db, { folder: MINERALS7, labelsFromFolders: step === 'import' });
      if (result.cancelled || result.errors.length > 0) throw new Error(`fixture import failed: ${JSON.stringify(result.errors)}`);
      return;
    }
    case 'split':
      assignSplits(db, 7);
      return;
    case 'model':
      await withClassifier((c) => registerModel(db, c.catalogueRecord()));
      return;
    case 'predictions': {
      const { evaluateCatalogueSplit } = await import('../../src/main/jobs/evaluate');
      const evaluation = await withClassifier((c) => evaluateCatalogueSplit(db, dbPath, c, 'test'));
      if (evaluation.partial || evaluation.errors.length > 0) throw new Error(`fixture evaluation failed: ${JSON.stringify(evaluation.errors)}`);
      return;
    }
    case 'trainedRun': {
      const classes = listClasses(db).map((c) => c.name);
      const train = new Map(
        (db.prepare("SELECT c.name, COUNT(*) AS n FROM specimens s JOIN classes c ON c.id = s.label_class_id WHERE s.split = 'train' GROUP BY c.name").all() as { name: string; n: number }[]).map(
          (r) => [r.name, r.n],
        ),
      );
      const total = [...train.values()].reduce((a, b) => a + b, 0);
      const runId = createRun(db, {
        variant: 'mavit',
        backbone: 'vit-ti',
        config: { epochs: 2, batchSize: 4, lr: 0.0001, weightDecay: 0.01, seed: 0, limitPerClass: 6, vit: { imageSize: 32 } },
        outDir: path.join(CACHE, 'runs', 'run-1'),
        datasetHash: 'e2e-fixture',
        classes,
        classWeights: classes.map((c) => total / (classes.length * (train.get(c) ?? 1))),
      });
      for (const epoch of [0, 1]) {
        putEpochMetrics(db, runId, {
          epoch,
          trainLoss: 1.9 - 0.1 * epoch,
          trainAccuracy: 0.2 + 0.05 * epoch,
          valLoss: 1.95 - 0.05 * epoch,
          valAccuracy: 0.15 + 0.05 * epoch,
          valMacroF1: 0.1 + 0.05 * epoch,
          learningRate: 0.0001,
          seconds: 2,
          imagesPerSecond: 20,
          kept: true,
        });
      }
      setRunBest(db, runId, 1, 0.2);
      setRunStatus(db, runId, 'completed');
      // The trainer registers the model it exported with its run; this model is the tiny one.
      await withClassifier((c) => registerModel(db, { ...c.catalogueRecord(), runId }));
      return;
    }
  }
}

/** A fresh copy of a catalogue in `state`, in a new folder of its own. */
export async function freshCatalogue(state: CatalogueState = {}): Promise<PreparedCatalogue> {
  const steps = stepsFor(state);
  const source = await template(steps);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'orelab-e2e-'));
  const dbPath = path.join(dir, 'catalogue.sqlite');
  fs.copyFileSync(source, dbPath);
  let model: PreparedCatalogue['model'] = null;
  if (steps.includes('model')) {
    const db = new Database(dbPath, { readonly: true });
    try {
      model = db.prepare('SELECT id, path FROM models').get() as { id: string; path: string };
    } finally {
      db.close();
    }
  }
  return { dir, dbPath, model };
}

/**
 * What the Reports flows compare, added to a flow's own catalogue in the `predictions` state (its model has
 * classified the test split): a second tiny model (seed 2) that classifies the test split too, and two finished
 * cross-validation runs, "cv-a" and "cv-b". The runs are written through the catalogue's own functions
 * (startCvRun, putOutOfFoldPredictions, finishCvRun) rather than trained by runCv: their out-of-fold predictions
 * are the two models' test predictions, in two folds by specimen id, and their summaries are built from them
 * with the reports' own classificationReport, in the shape crossValidate stores. The CV job is tested in its
 * own tests; this gives the Reports page real rows to show within seconds.
 *
 * The catalogue may be open in the flow's harness (SQLite's WAL lets both write); call this before the page
 * first asks for models and runs.
 */
export async function addComparedModelsAndCvRuns(catalogue: PreparedCatalogue): Promise<{ models: [string, string]; cvRuns: [string, string] }> {
  const [{ makeTinyClassifier }, { OnnxClassifier }, { evaluateCatalogueSplit }, { classificationReport }, cv] = await Promise.all([
    import('../helpers/model'),
    import('../../src/main/jobs/inference/classifier'),
    import('../../src/main/jobs/evaluate'),
    import('../../src/shared/metrics'),
    import('../../src/main/catalogue/cv'),
  ]);
  if (!catalogue.model) throw new Error('addComparedModelsAndCvRuns needs the `predictions` state (a model that classified the test split)');
  const classes = Object.keys(COUNTS).sort();
  const db = openDatabase(catalogue.dbPath);
  try {
    const classifier = await OnnxClassifier.open(makeTinyClassifier(catalogue.dir, classes, { seed: 2 }), { providers: ['cpu'], workers: 1 });
    let second: string;
    try {
      const record = classifier.catalogueRecord();
      registerModel(db, record);
      second = record.id;
      const evaluation = await evaluateCatalogueSplit(db, catalogue.dbPath, classifier, 'test');
      if (evaluation.partial || evaluation.errors.length > 0) throw new Error(`fixture evaluation failed: ${JSON.stringify(evaluation.errors)}`);
    } finally {
      await classifier.close();
    }
    const models: [string, string] = [catalogue.model.id, second];
    const runs: [string, string] = ['cv-a', 'cv-b'];
    runs.forEach((name, i) => {
      const predictions = (
        db
          .prepare(
            `SELECT p.specimen_id AS specimenId, c.name AS label, p.predicted_class AS predictedClass, p.confidence, p.probabilities, p.loss
               FROM predictions p JOIN specimens s ON s.id = p.specimen_id JOIN classes c ON c.id = s.label_class_id
              WHERE p.model_id = ? AND s.split = 'test' ORDER BY s.id`,
          )
          .all(models[i]!) as { specimenId: number; label: string; predictedClass: string; confidence: number; probabilities: string; loss: number | null }[]
      ).map((p) => ({ ...p, fold: p.specimenId % 2, probabilities: JSON.parse(p.probabilities) as number[] }));
      const report = (ps: typeof predictions) =>
        classificationReport(
          classes,
          ps.map((p) => classes.indexOf(p.label)),
          ps.map((p) => classes.indexOf(p.predictedClass)),
        );
      const folds = [0, 1].map((fold) => {
        const held = predictions.filter((p) => p.fold === fold);
        const r = report(held);
        return { fold: fold + 1, specimens: held.length, accuracy: r.accuracy, macro_f1: r.macro_f1, modelPath: models[i]!, keptEpoch: 1 };
      });
      const mean = (key: 'accuracy' | 'macro_f1') => (folds[0]![key] + folds[1]![key]) / 2;
      const sd = (key: 'accuracy' | 'macro_f1') => Math.abs(folds[0]![key] - folds[1]![key]) / Math.SQRT2;
      const runId = cv.startCvRun(db, { name, folds: 2, outDir: path.join(catalogue.dir, name), config: { tta: false }, classes }, { fresh: true });
      for (const fold of [0, 1]) cv.putOutOfFoldPredictions(db, runId, fold, predictions.filter((p) => p.fold === fold));
      cv.finishCvRun(db, runId, 'completed', {
        name,
        folds,
        pooled: report(predictions),
        mean: { accuracy: mean('accuracy'), macro_f1: mean('macro_f1') },
        sd: { accuracy: sd('accuracy'), macro_f1: sd('macro_f1') },
        tta: false,
        predicted: predictions.length,
        unlabeled: 0,
        errors: [],
        classes,
        groups: predictions.length,
        config: { folds: 2, fixture: 'test/e2e/catalogues.ts' },
      });
    });
    return { models, cvRuns: runs };
  } finally {
    db.close();
  }
}

/** Two specimens made one rock across splits by `leakAcrossSplits`. */
export interface SplitLeak {
  /** The group's first specimen (the group's id): the fix moves the other into its split. */
  first: { id: number; split: string };
  other: { id: number; split: string };
  className: string;
  sampleCode: string;
}

/**
 * Makes a photo group that spans splits in a split catalogue, as a lab makes one: two photos of one rock (here the
 * first train photo and the first test photo of one class) given one sample code after the split put them apart.
 * Through the catalogue's own metadata update (what specimens.update calls), on the flow's copy; the harness may
 * have it open meanwhile (WAL: one writer waits for the other).
 */
export function leakAcrossSplits(dbPath: string, className = 'bornite', sampleCode = 'ROCK-E2E-1'): SplitLeak {
  const db = openDatabase(dbPath);
  try {
    const first = (split: string) =>
      db
        .prepare('SELECT s.id, s.split FROM specimens s JOIN classes c ON c.id = s.label_class_id WHERE c.name = ? AND s.split = ? ORDER BY s.id LIMIT 1')
        .get(className, split) as { id: number; split: string } | undefined;
    const train = first('train');
    const test = first('test');
    if (!train || !test) throw new Error(`${className} needs a train and a test photo: is the catalogue split?`);
    updateSpecimenMetadata(db, train.id, { sampleCode });
    updateSpecimenMetadata(db, test.id, { sampleCode });
    const [a, b] = train.id < test.id ? [train, test] : [test, train];
    return { first: a, other: b, className, sampleCode };
  } finally {
    db.close();
  }
}
