// Batch classification: a folder of new photos through a model (the `classify` job): CSV reports, optional
// sorting into class folders (copy or move, low-confidence photos to _review), progress with rate and ETA, the
// results table (per-class counts; precision / recall when the photos sit in class folders), the errors, and the
// output folder. A model file trained elsewhere can be added to the catalogue here.
import { useEffect, useState, type FormEvent } from 'react';
import type { JobInfo } from '../../shared/ipc';
import { useApp } from '../app/state';
import { call, errorMessage } from '../api';
import { modelLabel, useModels } from '../hooks/useModels';
import { PathField } from '../components/PathField';
import { formatCount, formatPercent, formatSeconds, plural } from '../lib/format';
import { batchOutputFolder, dirname, joinPath } from '../lib/paths';

type ClassifyJob = Extract<JobInfo, { kind: 'classify' }>;

export function BatchPage() {
  const { catalogue, jobs, trackJob, notify, invalidate } = useApp();
  const { models } = useModels();
  const [folder, setFolder] = useState('');
  const [modelId, setModelId] = useState('');
  const [writeCsv, setWriteCsv] = useState(true);
  const [csv, setCsv] = useState('');
  const [sort, setSort] = useState(false);
  const [sortDir, setSortDir] = useState('');
  const [mode, setMode] = useState<'copy' | 'move'>('copy');
  const [review, setReview] = useState('0');
  const [batch, setBatch] = useState('8');
  const [record, setRecord] = useState(true);
  const [modelFile, setModelFile] = useState('');
  const [jobId, setJobId] = useState<string | null>(null);

  useEffect(() => {
    if (models && models.length > 0 && !models.some((m) => m.id === modelId)) setModelId(models[0]!.id);
  }, [models, modelId]);

  const classifyJobs = [...jobs.values()].filter((j): j is ClassifyJob => j.kind === 'classify');
  // The job started here, else the one running, else the latest finished (as Training shows it): leaving the page
  // and coming back keeps the last result on screen.
  const job = (jobId ? classifyJobs.find((j) => j.id === jobId) : undefined) ?? classifyJobs.find((j) => j.status === 'running') ?? classifyJobs.at(-1);
  if (!catalogue) return null;

  const out = batchOutputFolder(folder);
  const csvPath = csv.trim() || (out ? joinPath(out, 'predictions.csv') : '');
  const sortPath = sortDir.trim() || (out ? joinPath(out, 'sorted') : '');
  const reviewPct = Number(review);
  const batchSize = Number(batch);
  const problem =
    folder.trim() === ''
      ? 'Give the folder of photos.'
      : !modelId
        ? 'Choose a model.'
        : !(reviewPct >= 0 && reviewPct <= 100)
          ? 'The review threshold is a percentage from 0 to 100.'
          : !(Number.isInteger(batchSize) && batchSize >= 1 && batchSize <= 256)
            ? 'The batch size is a whole number from 1 to 256.'
            : null;

  const start = async (e: FormEvent) => {
    e.preventDefault();
    if (problem) return notify(problem, 'error');
    try {
      const { job: started } = await call('jobs.start', {
        kind: 'classify',
        params: {
          folder: folder.trim(),
          modelId,
          csv: writeCsv ? csvPath : null,
          sortInto: sort ? { dir: sortPath, mode } : null,
          reviewBelow: reviewPct / 100,
          batchSize,
          recordInCatalogue: record,
        },
      });
      trackJob(started);
      setJobId(started.id);
    } catch (err) {
      notify(errorMessage(err), 'error');
    }
  };
  const addModel = async (e: FormEvent) => {
    e.preventDefault();
    try {
      const { model } = await call('models.add', { path: modelFile.trim() });
      notify(`Model ${modelLabel(model)} added`, 'success');
      setModelId(model.id);
      setModelFile('');
      invalidate();
    } catch (err) {
      notify(errorMessage(err), 'error');
    }
  };
  const running = job?.status === 'running';

  return (
    <div className="page page-padded page-batch">
      <div className="two-columns batch-columns">
        <section className="card-panel" aria-labelledby="batch-form-title">
          <h2 id="batch-form-title">Classify a folder</h2>
          <form className="settings-form" onSubmit={(e) => void start(e)}>
            <label htmlFor="batch-folder">Photos folder</label>
            <PathField id="batch-folder" label="Folder of photos to classify" kind="folder" value={folder} placeholder="/path/to/new/photos" onChange={setFolder} />
            <label htmlFor="batch-model">Model</label>
            <select id="batch-model" value={modelId} onChange={(e) => setModelId(e.target.value)}>
              {(models ?? []).length === 0 ? <option value="">no model yet: train one, or add a file below</option> : null}
              {(models ?? []).map((m) => (
                <option key={m.id} value={m.id} disabled={!m.fileExists}>
                  {modelLabel(m)}
                  {m.fileExists ? '' : ' (file missing)'}
                </option>
              ))}
            </select>
            <span />
            <label className="check">
              <input type="checkbox" checked={writeCsv} onChange={(e) => setWriteCsv(e.target.checked)} /> Write a CSV report
            </label>
            <label htmlFor="batch-csv">CSV file</label>
            <PathField id="batch-csv" label="CSV report" kind="save" value={csv} placeholder={csvPath || 'predictions.csv'} onChange={setCsv} disabled={!writeCsv} />
            <span />
            <label className="check">
              <input type="checkbox" checked={sort} onChange={(e) => setSort(e.target.checked)} /> Sort the photos into a folder per class
            </label>
            <label htmlFor="batch-sort">Sort into</label>
            <PathField id="batch-sort" label="Folder to sort into" kind="folder" value={sortDir} placeholder={sortPath || 'sorted'} onChange={setSortDir} disabled={!sort} />
            <span />
            <div className="radio-row" role="radiogroup" aria-label="Copy or move">
              <label className="check">
                <input type="radio" name="batch-mode" checked={mode === 'copy'} disabled={!sort} onChange={() => setMode('copy')} /> copy (originals stay)
              </label>
              <label className="check">
                <input type="radio" name="batch-mode" checked={mode === 'move'} disabled={!sort} onChange={() => setMode('move')} /> move
              </label>
            </div>
            <label htmlFor="batch-review">Review below</label>
            <span className="inline-number">
              <input id="batch-review" className="pct" type="number" min={0} max={100} value={review} onChange={(e) => setReview(e.target.value)} /> % confidence (those go to _review)
            </span>
            <label htmlFor="batch-size">Batch size</label>
            <input id="batch-size" className="pct" type="number" min={1} max={256} value={batch} onChange={(e) => setBatch(e.target.value)} />
            <span />
            <label className="check">
              <input type="checkbox" checked={record} onChange={(e) => setRecord(e.target.checked)} /> Add the photos and their predictions to the catalogue
            </label>
            <span />
            <div className="button-row">
              {/* A disabled button says why, beside it and to a screen reader. */}
              <button type="submit" className="primary" disabled={running || problem !== null} aria-describedby={running || problem ? 'batch-why' : undefined}>
                Classify
              </button>
              {running || problem ? (
                <span id="batch-why" className="muted small">
                  {running ? 'A classification is running: stop it, or wait for its results.' : problem}
                </span>
              ) : null}
            </div>
          </form>
          <details className="add-model">
            <summary>Add a model file trained elsewhere</summary>
            <form className="inline-form" onSubmit={(e) => void addModel(e)}>
              <input aria-label="Model file" placeholder="/path/to/model.onnx" value={modelFile} spellCheck={false} onChange={(e) => setModelFile(e.target.value)} />
              <button type="submit" disabled={modelFile.trim() === ''}>
                Add model
              </button>
            </form>
          </details>
        </section>
        <section className="card-panel batch-status" aria-labelledby="batch-status-title">
          {job ? <BatchJob job={job} /> : (
            <>
              <h2 id="batch-status-title">Results</h2>
              <p className="muted">Photos in sub-folders named after the model's classes count as labeled: the results then include precision and recall.</p>
            </>
          )}
        </section>
      </div>
    </div>
  );
}

function BatchJob({ job }: { job: ClassifyJob }) {
  const { notify } = useApp();
  const [shownPath, setShownPath] = useState<string | null>(null);
  // Stop asks the job to finish its batch and write what it has: until it has, say so rather than offer Stop again.
  const [stopping, setStopping] = useState(false);
  const stop = async () => {
    setStopping(true);
    try {
      await call('jobs.cancel', { jobId: job.id });
    } catch (err) {
      setStopping(false);
      notify(errorMessage(err), 'error');
    }
  };
  const p = job.progress;
  const r = job.result;
  const outputFolder = r?.files ? dirname(r.files.predictions) : (r?.sortedInto ?? null);
  const openFolder = async (folder: string) => {
    try {
      const res = await call('files.openFolder', { path: folder });
      if (!res.opened) setShownPath(res.path);
    } catch (err) {
      notify(errorMessage(err), 'error');
    }
  };
  if (job.status === 'running') {
    return (
      <div aria-live="polite">
        <div className="card-title-row">
          <h2 id="batch-status-title">Classifying</h2>
          <button type="button" disabled={stopping} onClick={() => void stop()}>
            {stopping ? 'Stopping…' : 'Stop'}
          </button>
        </div>
        <p className="path">{job.params.folder}</p>
        <progress max={Math.max(1, p?.total ?? 1)} value={p?.done ?? 0} aria-label="Classification progress" />
        <p className="batch-counts">
          {p
            ? `${formatCount(p.done)} of ${formatCount(p.total)} · ${formatCount(p.classified)} classified · ${formatCount(p.resumed)} done earlier · ${formatCount(p.errors)} failed · ${formatCount(p.review)} for review`
            : 'Counting photos…'}
        </p>
        <p className="muted">
          {p?.imagesPerSecond ? `${p.imagesPerSecond.toFixed(1)} photos/s` : 'measuring the rate…'} · ETA{' '}
          {p?.etaSeconds === null || p?.etaSeconds === undefined ? '…' : formatSeconds(p.etaSeconds)}
        </p>
      </div>
    );
  }
  if (job.status === 'failed' || !r) {
    return (
      <>
        <h2 id="batch-status-title">Results</h2>
        <p className="error-text">Classification failed: {job.error}</p>
      </>
    );
  }
  const classes = r.classes;
  const perClass = new Map(r.report?.per_class.map((c) => [c.class, c]) ?? []);
  // Precision is over the labeled photos predicted as the class (the confusion matrix's column), not every photo
  // predicted as it: an unsorted photo predicted bornite gives bornite no precision to report.
  const labeledPredicted = (c: string) => {
    const report = r.report;
    const j = report ? report.classes.indexOf(c) : -1;
    return report && j >= 0 ? report.confusion.reduce((n, row) => n + (row[j] ?? 0), 0) : 0;
  };
  return (
    <div className="batch-result" role="status">
      <h2 id="batch-status-title">Results</h2>
      <p className="summary-line">
        {r.cancelled ? 'Stopped: ' : ''}
        {plural(r.classified, 'photo')} classified, {formatCount(r.resumed)} done earlier, {formatCount(r.errors.length)} failed, {formatCount(r.review)} for review ·{' '}
        {formatSeconds(r.seconds)} · {r.imagesPerSecond.toFixed(1)} photos/s on {r.provider.toUpperCase()}
      </p>
      {r.report ? (
        <p className="batch-accuracy">
          Accuracy <strong>{formatPercent(r.report.accuracy)}</strong>, macro F1 {r.report.macro_f1.toFixed(3)} over {plural(r.report.labeled, 'photo')} in class folders
        </p>
      ) : (
        <p className="muted small">No photo sat in a folder named after a class, so there is no accuracy to report.</p>
      )}
      <table className="data-table batch-table">
        <thead>
          <tr>
            <th>Class</th>
            <th className="num">Predicted</th>
            {r.report ? (
              <>
                <th className="num">In its folder</th>
                <th className="num">Precision</th>
                <th className="num">Recall</th>
                <th className="num">F1</th>
              </>
            ) : null}
          </tr>
        </thead>
        <tbody>
          {classes.map((c) => {
            const m = perClass.get(c);
            return (
              <tr key={c} data-class={c}>
                <td>{c}</td>
                <td className="num predicted">{formatCount(r.predicted[c] ?? 0)}</td>
                {r.report ? (
                  <>
                    <td className="num support">{formatCount(m?.support ?? 0)}</td>
                    {/* Undefined ratios (no labeled photo predicted as the class, or no photo of it) show a dash, not 0. */}
                    <td className="num precision">{m && labeledPredicted(c) > 0 ? m.precision.toFixed(3) : '—'}</td>
                    <td className="num recall">{m && m.support > 0 ? m.recall.toFixed(3) : '—'}</td>
                    <td className="num f1">{m && (m.support > 0 || labeledPredicted(c) > 0) ? m.f1.toFixed(3) : '—'}</td>
                  </>
                ) : null}
              </tr>
            );
          })}
        </tbody>
      </table>
      {r.errors.length > 0 ? (
        <details className="batch-errors" open={r.errors.length <= 5}>
          <summary>Failed photos ({formatCount(r.errors.length)})</summary>
          <ul className="issue-list">
            {r.errors.slice(0, 500).map((e, i) => (
              <li key={i}>
                <span className="path">{e.path}</span>: {e.reason}
              </li>
            ))}
          </ul>
        </details>
      ) : null}
      {r.files ? (
        <div className="files-written">
          <h3>CSV files</h3>
          <ul className="plain-list">
            {[r.files.predictions, r.files.metrics, r.files.confusion, r.files.errors].filter((f): f is string => f !== null).map((f) => (
              <li key={f} className="path">
                {f}
              </li>
            ))}
          </ul>
        </div>
      ) : null}
      {r.sortedInto ? <p className="muted small">Sorted into <span className="path">{r.sortedInto}</span></p> : null}
      {r.copiedNotMoved.length > 0 ? (
        <details className="notice">
          <summary>
            {r.copiedNotMoved.length} {r.copiedNotMoved.length === 1 ? 'photo was' : 'photos were'} copied, not moved: the folder does not own{' '}
            {r.copiedNotMoved.length === 1 ? 'it' : 'them'} (a symlink, or a file outside the folder), so the original stays where it was
          </summary>
          <ul className="plain-list">
            {r.copiedNotMoved.map((p) => (
              <li key={p} className="path">
                {p}
              </li>
            ))}
          </ul>
        </details>
      ) : null}
      {outputFolder ? (
        <div className="button-row">
          <button type="button" onClick={() => void openFolder(outputFolder)}>
            Open the output folder
          </button>
          {r.sortedInto && r.sortedInto !== outputFolder ? (
            <button type="button" onClick={() => void openFolder(r.sortedInto!)}>
              Open the sorted photos
            </button>
          ) : null}
        </div>
      ) : null}
      {shownPath ? (
        <p className="muted small shown-path" role="status">
          This browser cannot open your file manager; the folder is <span className="path">{shownPath}</span>
        </p>
      ) : null}
    </div>
  );
}
