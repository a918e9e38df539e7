// Training: the run's settings (variant, backbone, epochs, device; batch, learning rate, seed, image size and
// photos per class under "Quick trial run"), start / cancel / resume, live loss and validation-accuracy curves
// with an ETA, which checkpoint is kept and why, and the catalogue's past runs. The run itself is the `train`
// job (the real trainer, in the engine's worker); the curves come from its progress and from runs.get.
import { useEffect, useMemo, useRef, useState, type FormEvent } from 'react';
import type { EpochMetrics, JobInfo, ResponseOf, RunSummary, TrainParamsInput } from '../../shared/ipc';
import { keptCheckpoint } from '../../shared/training';
import { BACKBONES, BACKBONE_CHOICES, DEVICE_CHOICES, VARIANT_CHOICES, backboneChoice, type BackboneId, type DeviceId, type VariantId } from '../../shared/training-options';
import { useApp } from '../app/state';
import { call, errorMessage } from '../api';
import { useRequest } from '../hooks/useRequest';
import { LineChart, type Series } from '../components/LineChart';
import { PathField } from '../components/PathField';
import { formatPercent, formatSeconds, formatTime } from '../lib/format';

type TrainJob = Extract<JobInfo, { kind: 'train' }>;
type Defaults = ResponseOf<'training.defaults'>;

// The selects are built from the one list of choices (shared/training-options.ts) that the schema and the CLI use.
const VARIANT_LABELS: Record<string, string> = Object.fromEntries(VARIANT_CHOICES.map((c) => [c.id, c.label]));
const BACKBONE_LABELS: Record<string, string> = Object.fromEntries(BACKBONE_CHOICES.map((c) => [c.id, c.label]));
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
}

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
  };
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
  const trainJobs = [...jobs.values()].filter((j): j is TrainJob => j.kind === 'train');
  const running = trainJobs.find((j) => j.status === 'running');
  const latest = running ?? trainJobs.at(-1);
  // The list follows a running job too: its row appears, and its epochs and status change as it goes.
  const runningKey = running ? `${running.id}:${running.progress?.runId ?? ''}:${running.progress?.epochsDone.length ?? 0}` : '';

  const { data: runList, error: runsError } = useRequest('runs.list', {}, [version, runningKey]);
  const runs = runList?.runs ?? null;
  const error = defaultsError ?? runsError;

  if (!catalogue) return null;
  if (error) return <div className="page page-padded error-text">{error}</div>;
  if (!defaults || !form) return <div className="page page-padded" aria-busy="true" />;

  const start = async (params: TrainParamsInput) => {
    setStarting(true);
    try {
      const { job } = await call('jobs.start', { kind: 'train', params });
      trackJob(job);
      setShownRun(null);
      notify('Training started', 'success');
    } catch (err) {
      notify(errorMessage(err), 'error');
    } finally {
      setStarting(false);
    }
  };
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const params = toParams(form, defaults);
    if (typeof params === 'string') notify(params, 'error');
    else void start(params);
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
    });
    // The stored settings exactly: a resumed run must match the checkpoint's configuration.
    void start({ ...settings, device: form.device });
  };
  const runningRunId = running?.progress?.runId ?? null;
  const viewRun = shownRun ?? (latest ? null : (runs?.[0]?.id ?? null));

  return (
    <div className="page page-padded page-training">
      <header className="page-header">
        <p className="muted">
          Fine-tunes a classifier on the labeled train split and keeps the epoch with the best validation accuracy. A stopped run resumes from its
          last checkpoint when started again with the same settings in the same folder.
        </p>
      </header>
      <div className="two-columns training-columns">
        <section className="card-panel" aria-labelledby="train-form-title">
          <h2 id="train-form-title">New run</h2>
          <form className="settings-form" onSubmit={submit}>
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
            <details className="advanced full-row" open={form.imageSize !== '224' || form.limitPerClass !== ''}>
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
                Start training
              </button>
              {running ? <span className="muted small">A run is in progress.</span> : null}
            </div>
          </form>
        </section>
        <section className="card-panel" aria-labelledby="train-live-title">
          {latest && shownRun === null ? <LiveRun job={latest} onReport={() => (location.hash = '#/reports')} /> : <PastRun id={viewRun} />}
        </section>
      </div>
      <section className="card-panel" aria-labelledby="runs-title">
        <h2 id="runs-title">Runs in this catalogue</h2>
        {runs === null ? null : runs.length === 0 ? (
          <p className="muted">No training runs yet.</p>
        ) : (
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
                          <button type="button" onClick={() => resume(r)}>
                            Resume
                          </button>
                        ) : null}
                      </div>
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        )}
      </section>
    </div>
  );
}

function phaseText(job: TrainJob): string {
  const p = job.progress;
  if (!p) return 'Starting…';
  if (p.phase === 'preparing') return p.message ? `Preparing: ${p.message}` : 'Preparing';
  if (p.phase === 'exporting') return 'Exporting the kept model';
  const what = p.phase === 'validating' ? 'validating' : `step ${p.step} of ${p.stepsPerEpoch}`;
  return `Epoch ${Math.min(p.epoch + 1, p.epochs)} of ${p.epochs}, ${what}`;
}

function LiveRun({ job, onReport }: { job: TrainJob; onReport(): void }) {
  const p = job.progress;
  const r = job.result;
  const epochs = r?.epochs ?? p?.epochsDone ?? [];
  const total = p?.epochs ?? job.params.epochs;
  const done = p ? p.epoch * Math.max(1, p.stepsPerEpoch) + p.step : 0;
  const all = Math.max(1, total * Math.max(1, p?.stepsPerEpoch ?? 1));
  return (
    <div className="live-run" aria-live="polite">
      <div className="card-title-row">
        <h2 id="train-live-title">{job.status === 'running' ? 'Training' : job.status === 'completed' ? 'Finished run' : job.status === 'cancelled' ? 'Stopped run' : 'Failed run'}</h2>
        {job.status === 'running' ? (
          <button type="button" onClick={() => void call('jobs.cancel', { jobId: job.id })}>
            Stop (resumable)
          </button>
        ) : null}
      </div>
      {job.status === 'running' ? (
        <>
          <progress max={all} value={Math.min(done, all)} aria-label="Training progress" />
          <p className="train-status">
            <span className="phase">{phaseText(job)}</span>
            {p?.trainLoss !== null && p?.trainLoss !== undefined ? <span> · loss {p.trainLoss.toFixed(4)}</span> : null}
            {p?.imagesPerSecond ? <span> · {p.imagesPerSecond.toFixed(1)} images/s</span> : null}
            <span className="eta"> · ETA {p?.etaSeconds === null || p?.etaSeconds === undefined ? 'estimating…' : formatSeconds(p.etaSeconds)}</span>
          </p>
        </>
      ) : null}
      {job.status === 'failed' ? <p className="error-text">Training failed: {job.error}</p> : null}
      {job.status === 'cancelled' ? (
        <p className="warning">Stopped after {epochs.length} epoch{epochs.length === 1 ? '' : 's'}. Resume it from the list below: it continues from its checkpoint.</p>
      ) : null}
      <Curves epochs={epochs} trace={p?.trace ?? []} total={total} />
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
      <Curves epochs={runDetail.epochs} trace={[]} total={runDetail.run.settings?.epochs ?? runDetail.epochs.length} />
    </div>
  );
}

function Curves({ epochs, trace, total }: { epochs: readonly EpochMetrics[]; trace: readonly { x: number; loss: number }[]; total: number }) {
  const kept = useMemo(() => keptCheckpoint(epochs), [epochs]);
  const at = (e: EpochMetrics) => e.epoch + 1;
  const loss: Series[] = [
    { name: 'training loss (running)', className: 'series-trace', points: trace.map((t) => ({ x: t.x, y: t.loss })) },
    { name: 'training loss (epoch)', className: 'series-train', points: epochs.map((e) => ({ x: at(e), y: e.trainLoss })), markers: true },
    { name: 'validation loss', className: 'series-val', points: epochs.filter((e) => e.valLoss !== null).map((e) => ({ x: at(e), y: e.valLoss! })), markers: true },
  ];
  const accuracy: Series[] = [
    { name: 'training accuracy', className: 'series-train', points: epochs.map((e) => ({ x: at(e), y: e.trainAccuracy })), markers: true },
    { name: 'validation accuracy', className: 'series-val', points: epochs.filter((e) => e.valAccuracy !== null).map((e) => ({ x: at(e), y: e.valAccuracy! })), markers: true },
  ];
  const mark = kept ? { x: kept.epoch + 1, label: 'kept' } : null;
  return (
    <div className="curves">
      <div className="chart-pair">
        <LineChart label="Loss" series={loss} xMax={total} yMin={0} formatY={(y) => y.toFixed(2)} mark={mark} xLabel="epoch" />
        <LineChart label="Accuracy" series={accuracy} xMax={total} yMin={0} yMax={1} formatY={(y) => `${Math.round(y * 100)}%`} mark={mark} xLabel="epoch" />
      </div>
      <p className="kept-line" aria-live="polite">
        {kept ? (
          <>
            <strong>Kept checkpoint: epoch {kept.epoch + 1}</strong> (validation accuracy {formatPercent(kept.valAccuracy)}): {kept.reason}.
          </>
        ) : (
          <span className="muted">No epoch has finished yet: the first one to finish is kept, then any that validates better.</span>
        )}
      </p>
      {epochs.length > 0 ? (
        <table className="data-table compact-table epochs-table">
          <thead>
            <tr>
              <th>Epoch</th>
              <th className="num">Train loss</th>
              <th className="num">Train acc.</th>
              <th className="num">Val. loss</th>
              <th className="num">Val. acc.</th>
              <th className="num">Val. macro F1</th>
              <th className="num">Images/s</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {epochs.map((e) => (
              <tr key={e.epoch} className={kept?.epoch === e.epoch ? 'kept-row' : undefined}>
                <td>{e.epoch + 1}</td>
                <td className="num">{e.trainLoss.toFixed(4)}</td>
                <td className="num">{formatPercent(e.trainAccuracy)}</td>
                <td className="num">{e.valLoss === null ? '—' : e.valLoss.toFixed(4)}</td>
                <td className="num">{e.valAccuracy === null ? '—' : formatPercent(e.valAccuracy)}</td>
                <td className="num">{e.valMacroF1 === null ? '—' : e.valMacroF1.toFixed(3)}</td>
                <td className="num">{e.imagesPerSecond.toFixed(1)}</td>
                <td>{kept?.epoch === e.epoch ? <span className="kept-badge">kept</span> : e.kept ? <span className="muted small">was kept</span> : null}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
    </div>
  );
}
