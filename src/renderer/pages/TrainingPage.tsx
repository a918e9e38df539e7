// Training: the run's settings (variant, backbone, epochs, device; batch, learning rate, seed, image size,
// photos per class, DropPath rate and keep rule under "Quick trial run and recipe"), start / cancel / resume,
// live loss and validation-accuracy curves with an ETA, which checkpoint is kept and why, and the catalogue's
// past runs. The run itself is the `train`
// job (the real trainer, in the engine's worker); the curves come from its progress and from runs.get.
// The same form starts a cross-validation instead (the `cv` job: K folds, each trained with these settings,
// every labeled photo scored by the fold model that did not train on it); its pooled figures go to Reports.
import { useEffect, useRef, useState, type FormEvent } from 'react';
import type { JobInfo, RequestOf, ResponseOf, RunSummary, TrainParamsInput } from '../../shared/ipc';
import {
  BACKBONES,
  BACKBONE_CHOICES,
  DEVICE_CHOICES,
  KEEP_CHOICES,
  TRAIN_DEFAULTS,
  VARIANT_CHOICES,
  backboneChoice,
  type BackboneId,
  type DeviceId,
  type KeepRule,
  type VariantId,
} from '../../shared/training-options';
import { useApp } from '../app/state';
import { call, errorMessage } from '../api';
import { useRequest } from '../hooks/useRequest';
import { PathField } from '../components/PathField';
import { Curves, LiveRunTitle, TrainStatus } from '../components/TrainingCurves';
import { CvLiveRun, type CvJob } from '../components/CvRun';
import { formatPercent, formatTime } from '../lib/format';

type TrainJob = Extract<JobInfo, { kind: 'train' }>;
type Defaults = ResponseOf<'training.defaults'>;
type CvParamsInput = Extract<RequestOf<'jobs.start'>, { kind: 'cv' }>['params'];
type Mode = 'train' | 'cv';

// The selects are built from the one list of choices (shared/training-options.ts) that the schema and the CLI use.
const VARIANT_LABELS: Record<string, string> = Object.fromEntries(VARIANT_CHOICES.map((c) => [c.id, c.label]));
// "ViT-Ti/16 (5.5 M)" says what the 5.5 M counts here: its parameters.
const BACKBONE_LABELS: Record<string, string> = Object.fromEntries(BACKBONE_CHOICES.map((c) => [c.id, c.label.replace(/\((\d[\d.]*) M\)$/, '($1 M parameters)')]));
const IMAGE_SIZES = [32, 64, 96, 128, 160, 224];

interface Form {
  variant: VariantId;
  backbone: BackboneId;
  epochs: string;
  device: DeviceId;
  outDir: string;
  weights: string;
  batchSize: string;
  lr: string;
  seed: string;
  imageSize: string;
  limitPerClass: string;
  /** The ViT's DropPath rate, and which epoch's weights the run keeps. */
  dropPath: string;
  keep: KeepRule;
  /** One model, or a cross-validation of K models (then: folds, their seed, TTA, a name). */
  mode: Mode;
  folds: string;
  foldSeed: string;
  tta: boolean;
  cvName: string;
}

/** The contract's bounds on K (shared/schemas/cv.ts). */
const MIN_FOLDS = 2;
const MAX_FOLDS = 50;

function formFromDefaults(d: Defaults): Form {
  return {
    variant: 'mavit',
    backbone: BACKBONES[0],
    epochs: String(d.recipe.epochs),
    device: 'auto',
    outDir: d.outDir,
    weights: '',
    batchSize: String(d.recipe.batchSize),
    lr: String(d.recipe.lr),
    seed: '0',
    imageSize: '224',
    limitPerClass: '',
    dropPath: String(TRAIN_DEFAULTS.dropPath),
    keep: TRAIN_DEFAULTS.keep,
    mode: 'train',
    folds: '5',
    foldSeed: '0',
    tta: false,
    cvName: '',
  };
}

/** The form as `train` params, or the first problem with it. */
function toParams(f: Form, d: Defaults): TrainParamsInput | string {
  const int = (s: string) => (/^\d+$/.test(s.trim()) ? Number(s) : NaN);
  const epochs = int(f.epochs);
  const batchSize = int(f.batchSize);
  const seed = int(f.seed);
  const lr = Number(f.lr);
  if (!(epochs >= 1)) return 'Epochs must be a whole number of at least 1.';
  if (!(batchSize >= 1)) return 'Batch size must be a whole number of at least 1.';
  if (!(lr > 0 && lr <= 1)) return 'The learning rate must be above 0 and at most 1.';
  if (!(seed >= 0)) return 'The seed must be a whole number.';
  if (f.outDir.trim() === '') return 'Give an output folder.';
  const limit = f.limitPerClass.trim() === '' ? null : int(f.limitPerClass);
  if (limit !== null && !(limit >= 1)) return 'Photos per class must be a whole number of at least 1, or empty for all.';
  const dropPath = f.dropPath.trim() === '' ? NaN : Number(f.dropPath);
  if (!(dropPath >= 0 && dropPath < 1)) return 'The DropPath rate must be at least 0 and below 1.';
  if (!backboneChoice(f.backbone).bundledWeights && f.weights.trim() === '') return `${BACKBONE_LABELS[f.backbone]} needs its pretrained weights file.`;
  return {
    outDir: f.outDir.trim(),
    variant: f.variant,
    backbone: f.backbone,
    ...(f.weights.trim() !== '' ? { weights: f.weights.trim() } : {}),
    epochs,
    batchSize,
    lr,
    weightDecay: d.recipe.weightDecay,
    seed,
    device: f.device,
    imageSize: Number(f.imageSize),
    limitPerClass: limit,
    dropPath,
    keep: f.keep,
  };
}

/** The form as `cv` params: every training setting, plus the folds. */
function toCvParams(f: Form, d: Defaults): CvParamsInput | string {
  const train = toParams(f, d);
  if (typeof train === 'string') return train;
  const folds = /^\d+$/.test(f.folds.trim()) ? Number(f.folds) : NaN;
  const foldSeed = /^\d+$/.test(f.foldSeed.trim()) ? Number(f.foldSeed) : NaN;
  if (!(folds >= MIN_FOLDS && folds <= MAX_FOLDS)) return `Folds must be a whole number from ${MIN_FOLDS} to ${MAX_FOLDS}.`;
  if (!(foldSeed >= 0)) return 'The fold seed must be a whole number.';
  return { ...train, folds, foldSeed, tta: f.tta, ...(f.cvName.trim() !== '' ? { name: f.cvName.trim() } : {}) };
}

/** The form outlives a visit to another page (the page unmounts): a trial set up once stays set up. */
let remembered: { catalogueKey: string; form: Form; suggested: string | null } | null = null;

export function TrainingPage() {
  const { catalogue, version, jobs, trackJob, notify } = useApp();
  const { data: defaults, error: defaultsError } = useRequest('training.defaults', {}, [version]);
  const keep = remembered && remembered.catalogueKey === catalogue?.key ? remembered : null;
  const [form, setForm] = useState<Form | null>(keep?.form ?? null);
  const [starting, setStarting] = useState(false);
  const [shownRun, setShownRun] = useState<number | null>(null);
  const suggested = useRef<string | null>(keep?.suggested ?? null);
  useEffect(() => {
    if (form && catalogue) remembered = { catalogueKey: catalogue.key, form, suggested: suggested.current };
  }, [form, catalogue]);

  // After every change (a run finished, say) a fresh folder is suggested, so the next run never lands on the
  // last one's model; a folder the user typed is kept.
  useEffect(() => {
    if (!defaults) return;
    const previous = suggested.current;
    suggested.current = defaults.outDir;
    setForm((f) => (f === null ? formFromDefaults(defaults) : f.outDir === previous ? { ...f, outDir: defaults.outDir } : f));
  }, [defaults]);
  // Single runs and cross-validations share the engine: one at a time, and the live panel shows the newest.
  const trainingJobs = [...jobs.values()].filter((j): j is TrainJob | CvJob => j.kind === 'train' || j.kind === 'cv');
  const running = trainingJobs.find((j) => j.status === 'running');
  const latest = running ?? trainingJobs.at(-1);
  // The training under way: the run's own progress, or the fold a cross-validation is training.
  const runningTrain = running?.kind === 'cv' ? (running.progress?.train ?? null) : (running?.progress ?? null);
  // The list follows a running job too: its row appears, and its epochs and status change as it goes.
  const runningKey = running ? `${running.id}:${runningTrain?.runId ?? ''}:${runningTrain?.epochsDone.length ?? 0}` : '';

  const { data: runList, error: runsError } = useRequest('runs.list', {}, [version, runningKey]);
  const runs = runList?.runs ?? null;
  const error = defaultsError ?? runsError;

  if (!catalogue) return null;
  if (error) return <div className="page page-padded error-text">{error}</div>;
  if (!defaults || !form) return <div className="page page-padded" aria-busy="true" />;

  const start = async (request: RequestOf<'jobs.start'> & { kind: Mode }) => {
    setStarting(true);
    try {
      const { job } = await call('jobs.start', request);
      trackJob(job);
      setShownRun(null);
      notify(request.kind === 'cv' ? 'Cross-validation started' : 'Training started', 'success');
    } catch (err) {
      notify(errorMessage(err), 'error');
    } finally {
      setStarting(false);
    }
  };
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (form.mode === 'cv') {
      const params = toCvParams(form, defaults);
      if (typeof params === 'string') notify(params, 'error');
      else void start({ kind: 'cv', params });
    } else {
      const params = toParams(form, defaults);
      if (typeof params === 'string') notify(params, 'error');
      else void start({ kind: 'train', params });
    }
  };
  const set = (patch: Partial<Form>) => setForm({ ...form, ...patch });
  const quickTrial = () => set({ imageSize: '32', limitPerClass: '6', epochs: '2', batchSize: '4', lr: '0.0001' });
  const resume = (run: RunSummary) => {
    if (!run.settings) return;
    const settings = run.settings;
    setForm({
      ...form,
      variant: settings.variant,
      backbone: settings.backbone,
      epochs: String(settings.epochs),
      outDir: run.outDir,
      weights: settings.weights ?? '',
      batchSize: String(settings.batchSize),
      lr: String(settings.lr),
      seed: String(settings.seed),
      imageSize: String(settings.imageSize),
      limitPerClass: settings.limitPerClass === null ? '' : String(settings.limitPerClass),
      dropPath: String(settings.dropPath),
      keep: settings.keep,
    });
    // The stored settings exactly: a resumed run must match the checkpoint's configuration.
    void start({ kind: 'train', params: { ...settings, device: form.device } });
  };
  // A stopped cross-validation resumes from its folder when started again with the same settings.
  const resumeCv = (job: CvJob) => void start({ kind: 'cv', params: { ...job.params, restart: false } });
  const runningRunId = runningTrain?.runId ?? null;
  const viewRun = shownRun ?? (latest ? null : (runs?.[0]?.id ?? null));

  return (
    <div className="page page-padded page-training">
      <header className="page-header">
        <p className="muted">
          Fine-tunes a classifier on the labeled train split and keeps the epoch its keep rule picks (by default, the best validation accuracy). A stopped run resumes from its
          last checkpoint when started again with the same settings in the same folder. Cross-validation trains one model per fold instead and
          scores every labeled photo with a model that never saw it; Reports lists its runs.
        </p>
      </header>
      <div className="two-columns training-columns">
        <section className="card-panel" aria-labelledby="train-form-title">
          <h2 id="train-form-title">New run</h2>
          <form className="settings-form" onSubmit={submit}>
            <span id="train-mode-label">Run</span>
            <div className="radio-row run-mode" role="radiogroup" aria-labelledby="train-mode-label">
              <label className="check">
                <input type="radio" name="train-mode" value="train" checked={form.mode === 'train'} onChange={() => set({ mode: 'train' })} /> Train one model
              </label>
              <label className="check">
                <input type="radio" name="train-mode" value="cv" checked={form.mode === 'cv'} onChange={() => set({ mode: 'cv' })} /> Cross-validate (K folds)
              </label>
            </div>
            {form.mode === 'cv' ? (
              <>
                <label htmlFor="cv-folds">Folds (K)</label>
                <input id="cv-folds" type="number" min={MIN_FOLDS} max={MAX_FOLDS} value={form.folds} onChange={(e) => set({ folds: e.target.value })} />
                <label htmlFor="cv-fold-seed">Fold seed</label>
                <input id="cv-fold-seed" type="number" min={0} value={form.foldSeed} onChange={(e) => set({ foldSeed: e.target.value })} />
                <label htmlFor="cv-name">Run name</label>
                <input id="cv-name" value={form.cvName} placeholder="the output folder's name" spellCheck={false} onChange={(e) => set({ cvName: e.target.value })} />
                <span />
                <label className="check">
                  <input id="cv-tta" type="checkbox" checked={form.tta} onChange={(e) => set({ tta: e.target.checked })} /> Test-time augmentation
                </label>
                <p className="muted small full-row">
                  Trains K models, each on all photo groups but one fold's, and scores every labeled photo with the model that did not see it: a
                  report on all the photos instead of the test split alone, with intervals. A photo group stays in one fold. The fold seed fixes the
                  folds, so two recipes with one seed are compared on the same folds. Test-time augmentation scores each held-out photo as the mean
                  of its 8 flips and quarter turns.
                </p>
              </>
            ) : null}
            <label htmlFor="train-variant">Variant</label>
            <select id="train-variant" value={form.variant} onChange={(e) => set({ variant: e.target.value as Form['variant'] })}>
              {Object.entries(VARIANT_LABELS).map(([v, l]) => (
                <option key={v} value={v}>
                  {l}
                </option>
              ))}
            </select>
            <label htmlFor="train-backbone">Backbone</label>
            <select id="train-backbone" value={form.backbone} onChange={(e) => set({ backbone: e.target.value as Form['backbone'] })}>
              {Object.entries(BACKBONE_LABELS).map(([v, l]) => (
                <option key={v} value={v}>
                  {l}
                </option>
              ))}
            </select>
            <label htmlFor="train-epochs">Epochs</label>
            <input id="train-epochs" type="number" min={1} value={form.epochs} onChange={(e) => set({ epochs: e.target.value })} />
            <label htmlFor="train-device">Device</label>
            <select id="train-device" value={form.device} onChange={(e) => set({ device: e.target.value as Form['device'] })}>
              {DEVICE_CHOICES.map((c) => (
                <option key={c.id} value={c.id}>
                  {c.label}
                </option>
              ))}
            </select>
            <label htmlFor="train-out">Output folder</label>
            <PathField id="train-out" label="Output folder" kind="folder" value={form.outDir} onChange={(v) => set({ outDir: v })} />
            <label htmlFor="train-weights">Weights</label>
            <input
              id="train-weights"
              value={form.weights}
              spellCheck={false}
              placeholder={backboneChoice(form.backbone).bundledWeights ? `bundled ${defaults.defaultWeights.path.split(/[\\/]/).pop() ?? ''}` : 'path to a .safetensors or .npz of this ViT'}
              onChange={(e) => set({ weights: e.target.value })}
            />
            <details className="advanced full-row" open={form.imageSize !== '224' || form.limitPerClass !== '' || form.dropPath !== String(TRAIN_DEFAULTS.dropPath) || form.keep !== TRAIN_DEFAULTS.keep}>
              <summary>Quick trial run and recipe</summary>
              <div className="settings-form nested">
                <label htmlFor="train-batch">Batch size</label>
                <input id="train-batch" type="number" min={1} value={form.batchSize} onChange={(e) => set({ batchSize: e.target.value })} />
                <label htmlFor="train-lr">Learning rate</label>
                <input id="train-lr" value={form.lr} onChange={(e) => set({ lr: e.target.value })} />
                <label htmlFor="train-seed">Seed</label>
                <input id="train-seed" type="number" min={0} value={form.seed} onChange={(e) => set({ seed: e.target.value })} />
                <label htmlFor="train-size">Image size</label>
                <select id="train-size" value={form.imageSize} onChange={(e) => set({ imageSize: e.target.value })}>
                  {IMAGE_SIZES.map((s) => (
                    <option key={s} value={String(s)}>
                      {s} × {s} px{s === 224 ? ' (the paper)' : ''}
                    </option>
                  ))}
                </select>
                <label htmlFor="train-limit">Photos per class</label>
                <input id="train-limit" type="number" min={1} placeholder="all" value={form.limitPerClass} onChange={(e) => set({ limitPerClass: e.target.value })} />
                <label htmlFor="train-drop-path">DropPath rate</label>
                <input id="train-drop-path" type="number" min={0} max={0.99} step={0.05} value={form.dropPath} onChange={(e) => set({ dropPath: e.target.value })} />
                <label htmlFor="train-keep">Keep</label>
                <select id="train-keep" value={form.keep} onChange={(e) => set({ keep: e.target.value as KeepRule })}>
                  {KEEP_CHOICES.map((c) => (
                    <option key={c.id} value={c.id}>
                      {c.label}
                    </option>
                  ))}
                </select>
                <span />
                <p className="muted small">
                  The paper's recipe: 224 px, batch {defaults.recipe.batchSize}, learning rate {defaults.recipe.lr}, weight decay {defaults.recipe.weightDecay},{' '}
                  {defaults.recipe.epochs} epochs. A trial run at 32 px on a few photos per class takes seconds and checks the whole path.{' '}
                  <button type="button" className="link" onClick={quickTrial}>
                    Use trial settings
                  </button>
                </p>
              </div>
            </details>
            <span />
            <div className="button-row">
              <button type="submit" className="primary" disabled={starting || running !== undefined}>
                {form.mode === 'cv' ? 'Start cross-validation' : 'Start training'}
              </button>
              {running ? <span className="muted small">A run is in progress.</span> : null}
            </div>
          </form>
        </section>
        <section className="card-panel" aria-labelledby="train-live-title">
          {latest && shownRun === null ? (
            latest.kind === 'cv' ? (
              <CvLiveRun job={latest} canResume={running === undefined && !starting} onResume={() => resumeCv(latest)} onReport={openReports} />
            ) : (
              <LiveRun job={latest} onReport={openReports} resumable={resumableRun(latest, runs)} />
            )
          ) : (
            <PastRun id={viewRun} />
          )}
        </section>
      </div>
      <section className="card-panel" aria-labelledby="runs-title">
        <h2 id="runs-title">Runs in this catalogue</h2>
        {runs === null ? null : runs.length === 0 ? (
          <p className="muted">No training runs yet.</p>
        ) : (
          <div className="table-scroll">
            <table className="data-table runs-table">
              <thead>
                <tr>
                  <th>Run</th>
                  <th>Started</th>
                  <th>Model</th>
                  <th className="num">Epochs</th>
                  <th className="num">Best validation accuracy</th>
                  <th>Status</th>
                  <th>Output folder</th>
                  <th />
                </tr>
              </thead>
              <tbody>
                {runs.map((r) => {
                  const interrupted = r.status === 'running' && r.id !== runningRunId;
                  return (
                    <tr key={r.id} data-run={r.id} aria-selected={viewRun === r.id}>
                      <td>{r.id}</td>
                      <td>{formatTime(r.createdAt)}</td>
                      <td>
                        {VARIANT_LABELS[r.variant]?.split(' (')[0] ?? r.variant} · {BACKBONE_LABELS[r.backbone]?.split(' ')[0] ?? r.backbone} · {r.settings ? `${r.settings.imageSize} px` : (r.settingsProblem ?? '')}
                      </td>
                      <td className="num">
                        {r.epochsDone} / {r.settings?.epochs ?? '?'}
                      </td>
                      <td className="num">
                        {r.bestValAccuracy === null ? '—' : `${formatPercent(r.bestValAccuracy)} (epoch ${(r.bestEpoch ?? 0) + 1})`}
                      </td>
                      <td className={`run-status status-${interrupted ? 'interrupted' : r.status}`}>{interrupted ? 'interrupted' : r.status}</td>
                      <td className="path" title={r.outDir}>
                        {r.outDir}
                      </td>
                      <td>
                        <div className="row-actions">
                          <button type="button" className="link" onClick={() => setShownRun(r.id)}>
                            Curves
                          </button>
                          {r.resumable && !running ? (
                            r.cvFold ? (
                              <span className="muted small">
                                fold {r.cvFold.fold} of cross-validation “{r.cvFold.run}”: resume the cross-validation
                              </span>
                            ) : (
                              <button type="button" onClick={() => resume(r)}>
                                Resume
                              </button>
                            )
                          ) : null}
                        </div>
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </div>
        )}
      </section>
    </div>
  );
}

/** Reports lists the cross-validation runs (cv.list) beside the models. */
function openReports(): void {
  location.hash = '#/reports';
}

/**
 * Whether a stopped run can be resumed: the run list says whether its checkpoint is still in its folder (runs.list's
 * `resumable`). Null while that is not known; false when the job stopped before its run existed.
 */
function resumableRun(job: TrainJob, runs: RunSummary[] | null): boolean | null {
  const runId = job.result?.runId ?? job.progress?.runId ?? null;
  if (runId === null) return job.status === 'running' ? null : false;
  const run = runs?.find((r) => r.id === runId);
  return run ? run.resumable : null;
}

function LiveRun({ job, onReport, resumable }: { job: TrainJob; onReport(): void; resumable: boolean | null }) {
  const p = job.progress;
  const r = job.result;
  const epochs = r?.epochs ?? p?.epochsDone ?? [];
  const total = p?.epochs ?? job.params.epochs;
  return (
    <div className="live-run" aria-live="polite">
      <LiveRunTitle
        title={job.status === 'running' ? 'Training' : job.status === 'completed' ? 'Finished run' : job.status === 'cancelled' ? 'Stopped run' : 'Failed run'}
        runningJobId={job.status === 'running' ? job.id : null}
      />
      {job.status === 'running' ? <TrainStatus progress={p} epochs={total} label="Training progress" /> : null}
      {job.status === 'failed' ? <p className="error-text">Training failed: {job.error}</p> : null}
      {job.status === 'cancelled' ? (
        <p className="warning stopped-note">
          Stopped after {epochs.length} epoch{epochs.length === 1 ? '' : 's'}.{' '}
          {resumable === true
            ? 'Resume it from the list below: it continues from its checkpoint.'
            : resumable === false
              ? 'It stopped before saving a checkpoint, so there is nothing to resume: start it again.'
              : null}
        </p>
      ) : null}
      <Curves epochs={epochs} trace={p?.trace ?? []} total={total} keep={job.params.keep} />
      {r && job.status === 'completed' ? (
        <div className="run-result">
          <p className="ok-text result-line">
            Model saved: test accuracy {r.test ? formatPercent(r.test.accuracy) : '—'}, macro F1 {r.test ? r.test.macro_f1.toFixed(3) : '—'}
            {r.test ? ` on the run's ${r.test.confusion.flat().reduce((a, b) => a + b, 0)} test photos` : ''}, trained on {r.provider.toUpperCase()}
            {r.resumedFrom ? `, resumed at epoch ${r.resumedFrom.epoch + 1}` : ''}.
          </p>
          <p className="muted small path">{r.modelPath}</p>
          {r.providerNote ? <p className="muted small">{r.providerNote}</p> : null}
          <button type="button" className="primary" onClick={onReport}>
            Open the report
          </button>
        </div>
      ) : null}
    </div>
  );
}

function PastRun({ id }: { id: number | null }) {
  const { version } = useApp();
  const { data: runDetail, error } = useRequest('runs.get', id === null ? null : { id }, [id, version]);
  if (id === null) {
    return (
      <>
        <h2 id="train-live-title">Curves</h2>
        <p className="muted">Start a run: its loss and validation accuracy appear here, epoch by epoch.</p>
      </>
    );
  }
  // A run that cannot be read stays "loading" rather than showing the curves read before.
  if (!runDetail || error !== null) return <div aria-busy="true" />;
  return (
    <div className="live-run">
      <h2 id="train-live-title">Run {runDetail.run.id}</h2>
      <Curves epochs={runDetail.epochs} trace={[]} total={runDetail.run.settings?.epochs ?? runDetail.epochs.length} keep={runDetail.run.settings?.keep} />
    </div>
  );
}
