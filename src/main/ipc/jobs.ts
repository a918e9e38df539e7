// The job kinds the app can run, over the real services. Add a kind here after adding its schemas to
// shared/ipc JOB_KINDS. Thread-blocking work runs in workers the services start themselves: training in the
// engine's worker (trainModel), inference in the classifier's worker (OnnxClassifier); what stays on this
// thread is asynchronous (reading, decoding with sharp off-thread, small SQLite transactions).
import fs from 'node:fs';
import path from 'node:path';
import { checkImport, runImport } from '../services/import';
import { checkTrain, runTrain } from '../services/train';
import { evaluateCatalogueSplit } from '../jobs/evaluate';
import { classifyFolder } from '../jobs/classify/classify';
import type { JobDefinitions } from '../jobs/manager';
import type { CatalogueSession } from './session';
import { IpcError } from './errors';
import { requireModel } from './models';

function requireFolder(folder: string): void {
  let st: fs.Stats;
  try {
    st = fs.statSync(folder);
  } catch {
    throw new IpcError('not-found', `${path.resolve(folder)}: no such folder`);
  }
  if (!st.isDirectory()) throw new IpcError('invalid-request', `${path.resolve(folder)} is a file, not a folder`);
}

/** An output file's folder must exist (or be creatable below an existing one), and the path must not be a folder. */
function checkOutputFile(file: string, what: string): void {
  const resolved = path.resolve(file);
  if (fs.existsSync(resolved) && fs.statSync(resolved).isDirectory()) throw new IpcError('invalid-request', `${what} ${resolved} is a folder; give a file name`);
}

export function jobDefinitions(session: CatalogueSession): JobDefinitions {
  const cataloguePath = () => session.info()?.path ?? '';
  return {
    import: {
      exclusive: true,
      check(params) {
        session.requireDb();
        checkImport(params);
      },
      // The import is asynchronous (streamed scan, libvips decoding off-thread, small transactions): it runs here.
      run: (params, ctx) => runImport({ db: session.requireDb() }, params, { signal: ctx.signal, onProgress: (p) => ctx.progress(p) }),
    },

    train: {
      exclusive: true,
      check(params) {
        session.requireDb();
        checkTrain(params);
      },
      run: (params, ctx) =>
        runTrain({ db: session.requireDb(), cataloguePath: cataloguePath() }, params, { signal: ctx.signal, onProgress: (p) => ctx.progress(p) }),
    },

    evaluate: {
      exclusive: true,
      check(params) {
        requireModel(session.requireDb(), params.modelId);
      },
      async run(params, ctx) {
        const db = session.requireDb();
        const model = requireModel(db, params.modelId);
        const classifier = await session.classifier(model);
        ctx.progress({ done: 0, total: 0 });
        const r = await evaluateCatalogueSplit(db, cataloguePath(), classifier, params.split, {
          signal: ctx.signal,
          onProgress: (done, total) => ctx.progress({ done, total }),
        });
        return { modelId: model.id, split: params.split, report: r.report, unknownLabels: r.unknownLabels, errors: r.errors, cancelled: ctx.signal.aborted };
      },
    },

    classify: {
      check(params) {
        const db = session.requireDb();
        requireFolder(params.folder);
        requireModel(db, params.modelId);
        if (params.csv) checkOutputFile(params.csv, 'the CSV report');
        if (params.sortInto && fs.existsSync(params.sortInto.dir) && !fs.statSync(params.sortInto.dir).isDirectory()) {
          throw new IpcError('invalid-request', `${path.resolve(params.sortInto.dir)} is a file, not a folder to sort into`);
        }
      },
      async run(params, ctx) {
        const db = session.requireDb();
        const classifier = await session.classifier(requireModel(db, params.modelId));
        const started = performance.now();
        const summary = await classifyFolder({
          folder: params.folder,
          classifier,
          ...(params.recordInCatalogue ? { db } : {}),
          ...(params.csv ? { csv: params.csv } : {}),
          ...(params.sortInto ? { sortInto: params.sortInto } : {}),
          reviewBelow: params.reviewBelow,
          batchSize: params.batchSize,
          signal: ctx.signal,
          onProgress: (p) => {
            const seconds = (performance.now() - started) / 1000;
            const rate = seconds > 0.5 && p.classified > 0 ? p.classified / seconds : null;
            ctx.progress({ ...p, imagesPerSecond: rate, etaSeconds: rate ? Math.max(0, p.total - p.done) / rate : null });
          },
        });
        return { ...summary, provider: classifier.provider };
      },
    },
  };
}
