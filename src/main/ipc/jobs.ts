// The job kinds the app can run, over the real services. Add a kind here after adding its schemas to
// shared/ipc JOB_KINDS. Thread-blocking work runs in workers the services start themselves: training in the
// engine's worker (trainModel), inference in the classifier's worker (OnnxClassifier); what stays on this
// thread is asynchronous (reading, decoding with sharp off-thread, small SQLite transactions).
import { checkImport, runImport } from '../services/import';
import { checkTrain, runTrain } from '../services/train';
import { checkCv, runCv } from '../services/cv';
import { runEvaluate } from '../services/evaluate';
import { checkClassify, runClassify } from '../services/classify';
import { findLabelIssues } from '../services/label-issues';
import type { JobDefinitions } from '../jobs/manager';
import type { CatalogueSession } from './session';
import { requireModel } from '../catalogue';

/** The app's way to a model: the catalogue's model id, opened once by the session's classifier cache. */
function catalogueClassifier(session: CatalogueSession, modelId: string) {
  return session.classifier(requireModel(session.requireDb(), modelId));
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

    cv: {
      exclusive: true,
      check(params) {
        session.requireDb();
        checkCv(params);
      },
      run: (params, ctx) => runCv({ db: session.requireDb(), cataloguePath: cataloguePath() }, params, { signal: ctx.signal, onProgress: (p) => ctx.progress(p) }),
    },

    // The whole catalogue's label audit (the Relabel page's "Whole catalogue" source): embeddings in the
    // classifier's workers, the regression and confident learning here (about a second for 804 photos).
    'label-issues': {
      exclusive: true,
      check() {
        session.requireDb();
      },
      run: (params, ctx) =>
        findLabelIssues({ db: session.requireDb(), cataloguePath: cataloguePath() }, params, { signal: ctx.signal, onProgress: (p) => ctx.progress(p) }),
    },

    evaluate: {
      exclusive: true,
      check(params) {
        requireModel(session.requireDb(), params.modelId);
      },
      async run(params, ctx) {
        const classifier = await catalogueClassifier(session, params.modelId);
        ctx.progress({ done: 0, total: 0 });
        const r = await runEvaluate({ db: session.requireDb(), cataloguePath: cataloguePath(), classifier }, params, { signal: ctx.signal, onProgress: (p) => ctx.progress(p) });
        // The contract's result: the CLI's extra counts (partial, scored, total) stay out of it.
        return { modelId: r.modelId, split: r.split, report: r.report, unknownLabels: r.unknownLabels, errors: r.errors, cancelled: r.cancelled, tta: r.tta };
      },
    },

    classify: {
      check(params) {
        session.requireDb();
        checkClassify(params);
        requireModel(session.requireDb(), params.modelId);
      },
      async run(params, ctx) {
        const classifier = await catalogueClassifier(session, params.modelId);
        return runClassify({ db: session.requireDb(), classifier }, params, { signal: ctx.signal, onProgress: (p) => ctx.progress(p) });
      },
    },
  };
}
