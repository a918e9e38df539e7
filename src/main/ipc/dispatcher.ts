// The single entry point for renderer requests, used by Electron's ipcMain and by the HTTP harness alike:
// handleRequest(channel, payload) validates the payload against the contract (shared/ipc), runs the real
// service, validates the response, and returns a result envelope. Nothing here knows about transports.
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
  addClass,
  assignLabel,
  assignSplits,
  catalogueStats,
  classById,
  filteredSpecimenIds,
  getSpecimen,
  labelHistory,
  lastUndoableLabelOp,
  listClasses,
  mergeClasses,
  modelsWithPredictions,
  pageSpecimens,
  renameClass,
  specimenPredictions,
  undoLastLabelOp,
  updateSpecimenMetadata,
  type SpecimenMetadataPatch,
} from '../catalogue';
import type { JobManager } from '../jobs/manager';
import type { CatalogueSession } from './session';
import type { EventHub } from './events';
import { IpcError, invalidRequest, issuesFromZod, toIpcError } from './errors';

/** What differs between the shells: Electron has native dialogs and remembers the last catalogue. */
export interface Host {
  readonly shell: 'electron' | 'harness';
  readonly version: string;
  readonly dialogs?: {
    chooseFolder(title?: string): Promise<string | null>;
    chooseCatalogue(mode: 'open' | 'create'): Promise<string | null>;
  };
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

    'catalogue.current': () => ({ catalogue: session.info() }),
    'catalogue.open': (r) => {
      if (jobs.isBusy()) throw new IpcError('busy', 'a job is running on this catalogue; wait for it or cancel it first');
      const catalogue = session.open(r.path, r.create);
      host.catalogueOpened?.(catalogue.path);
      events.emit('catalogue.changed', { catalogue });
      return { catalogue };
    },
    'catalogue.stats': (r) => catalogueStats(db(), r.beta),

    'classes.list': () => ({ classes: listClasses(db()) }),
    'classes.add': (r) => ({ class: addClass(db(), r.name) }),
    'classes.rename': (r) => {
      const d = db();
      renameClass(d, classById(d, r.classId).name, r.name);
      return { class: classById(d, r.classId) };
    },
    'classes.merge': (r) => {
      const d = db();
      return mergeClasses(d, classById(d, r.fromClassId).name, classById(d, r.intoClassId).name);
    },

    'specimens.page': (r) => pageSpecimens(db(), r.filter, r.offset, r.limit),
    'specimens.ids': (r) => filteredSpecimenIds(db(), r.filter, r.offset, r.limit),
    'specimens.get': (r) => {
      const d = db();
      const specimen = getSpecimen(d, r.id);
      if (!specimen) throw new IpcError('not-found', `no specimen with id ${r.id}`);
      return { specimen, history: labelHistory(d, r.id), predictions: specimenPredictions(d, r.id), attention: null };
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

    'labels.assign': (r) => assignLabel(db(), r.specimenIds, r.classId),
    'labels.undo': () => ({ undone: undoLastLabelOp(db()) }),
    'labels.lastOp': () => ({ op: lastUndoableLabelOp(db()) }),

    'splits.assign': (r) => ({ seed: r.seed, ...assignSplits(db(), r.seed, r.ratios) }),
    'predictions.models': () => ({ models: modelsWithPredictions(db()) }),

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
