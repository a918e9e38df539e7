// The single entry point for renderer requests, used by Electron's ipcMain and by the HTTP harness alike:
// handleRequest(channel, payload) validates the payload against the contract (shared/ipc), runs the real
// service, validates the response, and returns a result envelope. Nothing here knows about transports.
import fs from 'node:fs';
import path from 'node:path';
import {
  REQUESTS,
  isRequestChannel,
  type IpcResult,
  type ParsedRequestOf,
  type RequestChannel,
  type RequestOf,
  type ResponseOf,
} from '../../shared/ipc';
import {
  catalogueStats,
  filteredSpecimenIds,
  getSpecimen,
  labelHistory,
  modelsWithPredictions,
  pageSpecimens,
  specimenPredictions,
  updateSpecimenMetadata,
  confusionCellSpecimens,
  relabelQueue,
  reviewSpecimen,
  unpredictedCount,
  getRun,
  registerModel,
  predictionCount,
  type SpecimenMetadataPatch,
  requireModel,
} from '../catalogue';
import { catalogueReport } from '../jobs/classify/export';
import * as labeling from '../services/label';
import { excludeSpecimens, includeSpecimens } from '../services/exclude';
import { assignSplit, auditSplits, fixSplits } from '../services/split';
import { listGroups, separateGroups } from '../services/groups';
import { cvCell, cvReport, listCv } from '../services/cv';
import { exportCsv } from '../services/export';
import { compareClassifiers } from '../services/compare';
import { RECIPE } from '../jobs/train/train';
import { defaultWeightsPath } from '../jobs/train/weights';
import { attentionMap } from '../services/attention';
import { ModelFileError, readModelFile } from '../jobs/inference/model-file';
import { OnnxClassifier } from '../jobs/inference/classifier';
import { ModelMetadataError } from '../../shared/model-metadata';
import { keepRuleOf, keptCheckpoint, modelMetadata, modelSummaries, modelSummary, runEpochs, runSummaries, runSummary, suggestedRunFolder } from './models';
import type { JobManager } from '../jobs/manager';
import type { CatalogueSession } from './session';
import type { EventHub } from './events';
import { IpcError, invalidRequest, issuesFromZod, toIpcError } from './errors';
import { checkFolderToOpen } from '../base/open-folder';

/** What differs between the shells: Electron has native dialogs and remembers the last catalogue. */
export interface Host {
  readonly shell: 'electron' | 'harness';
  readonly version: string;
  readonly dialogs?: {
    chooseFolder(title?: string): Promise<string | null>;
    chooseCatalogue(mode: 'open' | 'create'): Promise<string | null>;
    saveFile(title?: string, defaultPath?: string): Promise<string | null>;
  };
  /** Shows a folder in the desktop's file manager; resolves with an error message, or '' when it opened. */
  openFolder?(folder: string): Promise<string>;
  /** Called after a catalogue was opened through a request (Electron saves it as the last catalogue). */
  catalogueOpened?(path: string): void;
}

export interface DispatcherDeps {
  session: CatalogueSession;
  jobs: JobManager;
  events: EventHub;
  host: Host;
}

type Handlers = { [C in RequestChannel]: (request: ParsedRequestOf<C>) => Promise<ResponseOf<C>> | ResponseOf<C> };

/** Empty strings clear a field; surrounding spaces are dropped. */
function cleanText(value: string | null | undefined): string | null | undefined {
  if (value === undefined || value === null) return value;
  const t = value.trim();
  return t === '' ? null : t;
}

function createHandlers({ session, jobs, events, host }: DispatcherDeps): Handlers {
  const db = () => session.requireDb();
  const dialogs = () => {
    if (!host.dialogs) throw new IpcError('unavailable', 'native dialogs exist only in the desktop app; type the path instead');
    return host.dialogs;
  };
  return {
    'app.info': () => ({ version: host.version, shell: host.shell, capabilities: { nativeDialogs: host.dialogs !== undefined } }),
    'dialog.chooseFolder': async (r) => ({ path: await dialogs().chooseFolder(r.title) }),
    'dialog.chooseCatalogue': async (r) => ({ path: await dialogs().chooseCatalogue(r.mode) }),
    'dialog.saveFile': async (r) => ({ path: await dialogs().saveFile(r.title, r.defaultPath) }),
    'files.openFolder': async (r) => {
      // The shell opens a path with its default handler: anything but a plain folder could launch a program.
      const checked = checkFolderToOpen(r.path);
      if (!checked.ok) throw new IpcError(checked.reason === 'missing' ? 'not-found' : 'invalid-request', checked.message);
      if (!host.openFolder) return { opened: false, path: checked.folder };
      // The real path that was checked, not the name given: a symlink there could be repointed after the check.
      const problem = await host.openFolder(checked.real);
      if (problem) throw new IpcError('unavailable', `cannot open ${checked.folder}: ${problem}`);
      return { opened: true, path: checked.folder };
    },

    'catalogue.current': () => ({ catalogue: session.info() }),
    'catalogue.open': (r) => {
      if (jobs.isBusy()) throw new IpcError('busy', 'a job is running on this catalogue; wait for it or cancel it first');
      const catalogue = session.open(r.path, r.create);
      host.catalogueOpened?.(catalogue.path);
      events.emit('catalogue.changed', { catalogue });
      return { catalogue };
    },
    'catalogue.stats': (r) => catalogueStats(db(), r.beta),

    // Labels and classes: the services of services/label.ts, as the CLI's label, undo and classes commands.
    'classes.list': () => ({ classes: labeling.listClasses({ db: db() }) }),
    'classes.add': (r) => ({ class: labeling.addClass({ db: db() }, r) }),
    'classes.rename': (r) => ({ class: labeling.renameClass({ db: db() }, { class: r.classId, name: r.name }) }),
    'classes.merge': (r) => labeling.mergeClasses({ db: db() }, { from: r.fromClassId, into: r.intoClassId }),

    'specimens.page': (r) => pageSpecimens(db(), r.filter, r.offset, r.limit),
    'specimens.ids': (r) => filteredSpecimenIds(db(), r.filter, r.offset, r.limit),
    'specimens.get': (r) => {
      const d = db();
      const specimen = getSpecimen(d, r.id);
      if (!specimen) throw new IpcError('not-found', `no specimen with id ${r.id}`);
      const attention = modelSummaries(d)
        .filter((m) => m.hasAttention && m.fileExists)
        .map((m) => ({ id: m.id, name: m.name }));
      return { specimen, history: labelHistory(d, r.id), predictions: specimenPredictions(d, r.id), attention };
    },
    'specimens.update': (r) => {
      const d = db();
      const patch: SpecimenMetadataPatch = {
        sampleCode: cleanText(r.patch.sampleCode),
        site: cleanText(r.patch.site),
        notes: cleanText(r.patch.notes),
        flagged: r.patch.flagged,
      };
      updateSpecimenMetadata(d, r.id, patch);
      return { specimen: getSpecimen(d, r.id)! };
    },

    'labels.assign': (r) => labeling.assignLabels({ db: db() }, r),
    'labels.undo': (r) => ({ undone: labeling.undoLabels({ db: db() }, r) }),
    'labels.redo': (r) => ({ redone: labeling.redoLabels({ db: db() }, r) }),
    'labels.preview': (r) => ({ effect: labeling.describeLabelChange({ db: db() }, r) }),
    'labels.lastOp': () => ({ op: labeling.lastLabelOp({ db: db() }) }),
    'labels.exclude': (r) => excludeSpecimens({ db: db() }, r),
    'labels.include': (r) => includeSpecimens({ db: db() }, r),

    'splits.assign': (r) => assignSplit({ db: db() }, r),
    'splits.audit': () => auditSplits({ db: db() }),
    'splits.fix': () => fixSplits({ db: db() }),
    'groups.list': (r) => listGroups({ db: db() }, r),
    'groups.separate': (r) => separateGroups({ db: db() }, r),
    'predictions.models': () => ({ models: modelsWithPredictions(db()) }),

    'training.defaults': () => {
      db();
      const weights = defaultWeightsPath();
      return { recipe: { ...RECIPE }, outDir: suggestedRunFolder(session.info()!.path), defaultWeights: { path: weights, exists: fs.existsSync(weights) } };
    },
    'runs.list': () => ({ runs: runSummaries(db()) }),
    'runs.get': (r) => {
      const d = db();
      const run = getRun(d, r.id);
      if (!run) throw new IpcError('not-found', `no training run ${r.id}`);
      const epochs = runEpochs(d, r.id);
      return { run: runSummary(d, run), epochs, kept: keptCheckpoint(epochs, keepRuleOf(run)) };
    },

    'models.list': () => ({ models: modelSummaries(db()) }),
    'models.add': async (r) => {
      const d = db();
      const file = path.resolve(r.path);
      let record;
      try {
        record = readModelFile(file);
      } catch (err) {
        if (err instanceof ModelFileError || err instanceof ModelMetadataError) throw new IpcError('invalid-request', err.message);
        throw err;
      }
      const classifier = await OnnxClassifier.open(file).catch((err: unknown) => {
        throw new IpcError('invalid-request', `${file}: ONNX Runtime cannot load it: ${(err as Error).message}`);
      });
      try {
        registerModel(d, classifier.catalogueRecord());
      } finally {
        await classifier.close();
      }
      return { model: modelSummary(requireModel(d, record.id), predictionCount(d, record.id)) };
    },
    'models.get': (r) => {
      const d = db();
      const model = requireModel(d, r.id);
      return { model: modelSummary(model, predictionCount(d, model.id)), metadata: modelMetadata(model) };
    },

    'reports.get': (r) => {
      const d = db();
      const model = requireModel(d, r.modelId);
      const split = r.scope === 'all' ? null : r.scope;
      const { labeled, ...report } = catalogueReport(d, model, split ?? undefined);
      return { modelId: model.id, scope: r.scope, labeled, unpredicted: unpredictedCount(d, model, split), report };
    },
    'reports.cell': (r) => {
      const d = db();
      const model = requireModel(d, r.modelId);
      const known = (name: string) => model.classes.some((c) => c.toLowerCase() === name.toLowerCase());
      if (!known(r.trueClass) || !known(r.predictedClass)) {
        throw new IpcError('invalid-request', `model ${model.id} has no class "${known(r.trueClass) ? r.predictedClass : r.trueClass}"; its classes: ${model.classes.join(', ')}`);
      }
      const cell = confusionCellSpecimens(d, model, r.scope === 'all' ? null : r.scope, r.trueClass, r.predictedClass, r.offset, r.limit);
      return { ...cell, classes: model.classes };
    },
    'cv.list': () => ({ runs: listCv({ db: db() }) }),
    'cv.get': (r) => cvReport({ db: db() }, r.name),
    'cv.cell': (r) => cvCell({ db: db() }, r),
    'reports.compare': (r) => compareClassifiers({ db: db(), cataloguePath: session.info()!.path }, r),
    'reports.exportCsv': (r) => {
      const { file, rows } = exportCsv({ db: db() }, { modelId: r.modelId, kind: r.kind, scope: r.scope, file: r.path });
      return { path: file, rows };
    },

    'relabel.candidates': (r) => {
      const d = db();
      const model = requireModel(d, r.modelId);
      return { ...relabelQueue(d, model, { rank: r.rank, doubtfulBelow: r.doubtfulBelow, offset: r.offset, limit: r.limit }), classes: model.classes };
    },
    'relabel.apply': (r) => {
      const d = db();
      return reviewSpecimen(d, requireModel(d, r.modelId), r.specimenId, r.action);
    },

    'attention.get': (r) =>
      attentionMap({ db: db(), cataloguePath: session.info()!.path, openClassifier: (model) => session.classifier(model) }, r),

    'jobs.start': async (r) => ({ job: await jobs.start(r) }),
    'jobs.cancel': (r) => ({ cancelled: jobs.cancel(r.jobId) }),
    'jobs.list': () => ({ jobs: jobs.list() }),
  };
}

export interface Dispatcher {
  /** For transports: any channel name, any payload; never throws. */
  handleRequest(channel: string, payload: unknown): Promise<IpcResult<unknown>>;
  /** The same, typed, for code in the main process and tests. */
  invoke<C extends RequestChannel>(channel: C, request: RequestOf<C>): Promise<IpcResult<ResponseOf<C>>>;
}

export function createDispatcher(deps: DispatcherDeps): Dispatcher {
  const handlers = createHandlers(deps);
  async function handleRequest(channel: string, payload: unknown): Promise<IpcResult<unknown>> {
    try {
      if (!isRequestChannel(channel)) throw new IpcError('unknown-channel', `unknown channel "${String(channel).slice(0, 100)}"`);
      const spec = REQUESTS[channel];
      const parsed = spec.request.safeParse(payload === undefined ? {} : payload);
      if (!parsed.success) throw invalidRequest(channel, parsed.error);
      const handler = handlers[channel] as (request: unknown) => unknown;
      const value = await handler(parsed.data);
      // Responses are parsed too: undeclared fields are dropped, and a service drifting from the contract is
      // caught here (and by the tests) rather than in the renderer.
      const out = spec.response.safeParse(value);
      if (!out.success) {
        const detail = issuesFromZod(out.error)
          .map((i) => `${i.path}: ${i.message}`)
          .join('; ');
        throw new IpcError('internal', `the response of ${channel} does not match the contract: ${detail}`);
      }
      return { ok: true, value: out.data };
    } catch (err) {
      const error = toIpcError(err);
      if (error.code === 'internal') console.error(`orelab: ${channel} failed:`, err);
      return { ok: false, error: error.toInfo() };
    }
  }
  return {
    handleRequest,
    invoke: (channel, request) => handleRequest(channel, request) as never,
  };
}
