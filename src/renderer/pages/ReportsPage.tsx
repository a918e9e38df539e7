// Reports: a model's per-class precision / recall / F1 and its confusion matrix, from the predictions stored
// for a split (evaluating the split fills them in: the `evaluate` job) or all stored predictions; or a
// cross-validation run's pooled out-of-fold report and its folds. Every figure carries its 95% interval. A click
// on a confusion cell lists its photos; a second model (or run) shows side by side, with the paired comparison
// of the two below; a model's tables export as CSV.
import { useEffect, useRef, useState, type KeyboardEvent } from 'react';
import type { JobInfo, ModelSummary, ReportScope } from '../../shared/ipc';
import { useApp } from '../app/state';
import { call, errorMessage, imageUrl } from '../api';
import { modelLabel, useModels } from '../hooks/useModels';
import { useRequest } from '../hooks/useRequest';
import { PathField } from '../components/PathField';
import { CompareView } from '../components/CompareView';
import { CvReport, cvRunLabel } from '../components/CvReport';
import { ReportFigures, type SelectedCell } from '../components/ReportFigures';
import { formatCount, formatPercent, plural } from '../lib/format';
import { dirname, joinPath } from '../lib/paths';

type EvaluateJob = Extract<JobInfo, { kind: 'evaluate' }>;
const SCOPES: { value: ReportScope; label: string }[] = [
  { value: 'test', label: 'Test split' },
  { value: 'val', label: 'Validation split' },
  { value: 'train', label: 'Train split' },
  { value: 'all', label: 'All stored predictions' },
];
/** The predictions select holds the scopes of a model's predictions and, prefixed so, the cross-validation runs. */
const CV_PREFIX = 'cv:';

/** A confusion cell of one report: of a model (its id) or of a cross-validation run (its name). */
interface Cell extends SelectedCell {
  kind: 'model' | 'cv';
  owner: string;
}

export function ReportsPage() {
  const { catalogue, version } = useApp();
  const { models, error } = useModels();
  const { data: cvList, error: cvError } = useRequest('cv.list', catalogue ? {} : null, [catalogue, version]);
  const cvRuns = cvList?.runs ?? [];
  const [modelId, setModelId] = useState('');
  // A model id, or a cross-validation run's name when a run is shown.
  const [compareId, setCompareId] = useState('');
  const [choice, setChoice] = useState<string>('test');
  const [cell, setCell] = useState<Cell | null>(null);
  const cvName = choice.startsWith(CV_PREFIX) ? choice.slice(CV_PREFIX.length) : null;
  const scope: ReportScope = cvName === null ? (choice as ReportScope) : 'test';

  useEffect(() => {
    if (models && models.length > 0 && !models.some((m) => m.id === modelId)) setModelId(models[0]!.id);
  }, [models, modelId]);
  useEffect(() => {
    if (!cvList) return;
    // A run that went (another catalogue) falls back to the test split; with runs but no model, a run is all there is.
    if (cvName !== null && !cvList.runs.some((r) => r.name === cvName)) setChoice('test');
    else if (cvName === null && models?.length === 0 && cvList.runs.length > 0) setChoice(CV_PREFIX + cvList.runs[0]!.name);
  }, [cvList, cvName, models]);

  if (!catalogue) return null;
  if (error) return <div className="page page-padded error-text">{error}</div>;
  // Without the list of runs (it failed) the models' reports still show; the failure is said in the toolbar.
  if (!models || (!cvList && !cvError)) return <div className="page page-padded" aria-busy="true" />;
  if (models.length === 0 && cvRuns.length === 0) {
    return (
      <div className="page page-padded">
        <section className="card-panel narrow">
          <h2>No model yet</h2>
          <p>Train one on the Training page, or add a model file trained elsewhere on the Batch classification page. Its report appears here.</p>
        </section>
      </div>
    );
  }
  const choose = (value: string) => {
    // A model and a run are never compared: switching between them starts the comparison afresh.
    if (value.startsWith(CV_PREFIX) !== (cvName !== null)) setCompareId('');
    setChoice(value);
    setCell(null);
  };
  const model = cvName === null ? models.find((m) => m.id === modelId) : undefined;
  const compareModel = model ? models.find((m) => m.id === compareId && m.id !== modelId) : undefined;
  const run = cvName !== null ? cvRuns.find((r) => r.name === cvName) : undefined;
  const compareRun = run ? cvRuns.find((r) => r.name === compareId && r.name !== run.name) : undefined;
  const comparing = compareModel !== undefined || compareRun !== undefined;
  const selectedOf = (kind: Cell['kind'], owner: string) => (cell?.kind === kind && cell.owner === owner ? cell : null);
  const onCellOf = (kind: Cell['kind'], owner: string) => (trueClass: string, predictedClass: string) => setCell({ kind, owner, trueClass, predictedClass });
  const modelReport = (m: ModelSummary) => <ModelReport model={m} scope={scope} onCell={onCellOf('model', m.id)} selected={selectedOf('model', m.id)} />;
  const cvReport = (name: string) => <CvReport name={name} onCell={onCellOf('cv', name)} selected={selectedOf('cv', name)} />;
  const scopeLabel = SCOPES.find((s) => s.value === scope)!.label.toLowerCase();
  // Closing the photos puts the keyboard back on the cell that opened them.
  const closeCell = (closed: Cell) => {
    setCell(null);
    const report = closed.kind === 'model' ? `.model-report[data-model="${CSS.escape(closed.owner)}"]` : `.cv-report[data-cv="${CSS.escape(closed.owner)}"]`;
    document
      .querySelector<HTMLElement>(`${report} .confusion-cell[data-true="${CSS.escape(closed.trueClass)}"][data-predicted="${CSS.escape(closed.predictedClass)}"]`)
      ?.focus();
  };

  return (
    <div className="page page-padded page-reports">
      <div className="toolbar" role="group" aria-label="Report settings">
        {cvName === null ? (
          <>
            <label htmlFor="report-model">Model</label>
            <select id="report-model" value={modelId} onChange={(e) => (setModelId(e.target.value), setCell(null))}>
              {models.map((m) => (
                <option key={m.id} value={m.id}>
                  {modelLabel(m)}
                </option>
              ))}
            </select>
          </>
        ) : null}
        <label htmlFor="report-scope">Predictions</label>
        <select id="report-scope" value={choice} onChange={(e) => choose(e.target.value)}>
          {models.length > 0
            ? SCOPES.map((s) => (
                <option key={s.value} value={s.value}>
                  {s.label}
                </option>
              ))
            : null}
          {cvRuns.length > 0 ? (
            <optgroup label="Cross-validation runs (their own fold models)">
              {cvRuns.map((r) => (
                <option key={r.id} value={CV_PREFIX + r.name}>
                  {cvRunLabel(r)}
                </option>
              ))}
            </optgroup>
          ) : null}
        </select>
        <label htmlFor="report-compare">Compare with</label>
        <select id="report-compare" value={compareId} onChange={(e) => (setCompareId(e.target.value), setCell(null))}>
          {cvName === null ? (
            <>
              <option value="">no other model</option>
              {models
                .filter((m) => m.id !== modelId)
                .map((m) => (
                  <option key={m.id} value={m.id}>
                    {modelLabel(m)}
                  </option>
                ))}
            </>
          ) : (
            <>
              <option value="">no other run</option>
              {cvRuns
                .filter((r) => r.name !== cvName)
                .map((r) => (
                  <option key={r.id} value={r.name}>
                    {cvRunLabel(r)}
                  </option>
                ))}
            </>
          )}
        </select>
        {cvError ? <span className="error-text small">Cross-validation runs could not be listed: {cvError}</span> : null}
      </div>
      <div className={comparing ? 'report-columns compare' : 'report-columns'}>
        {model ? modelReport(model) : null}
        {compareModel ? modelReport(compareModel) : null}
        {run ? cvReport(run.name) : null}
        {compareRun ? cvReport(compareRun.name) : null}
      </div>
      {cell ? <CellDrawer cell={cell} scope={scope} onClose={() => closeCell(cell)} /> : null}
      {model && compareModel ? (
        scope === 'all' ? (
          <section className="card-panel compare-panel">
            <h2>Paired comparison</h2>
            <p className="muted">Pick a split to compare the two models photo by photo: a paired comparison needs the same photos on both sides.</p>
          </section>
        ) : (
          <CompareView params={{ a: model.id, b: compareModel.id, source: { kind: 'split', split: scope } }} aLabel={modelLabel(model)} bLabel={modelLabel(compareModel)} sourceLabel={scopeLabel} />
        )
      ) : null}
      {run && compareRun ? <CompareView params={{ a: run.name, b: compareRun.name, source: { kind: 'cv' } }} aLabel={cvRunLabel(run)} bLabel={cvRunLabel(compareRun)} sourceLabel="out-of-fold predictions" /> : null}
      {model ? <ExportCsv model={model} scope={scope} /> : null}
    </div>
  );
}

function ModelReport({ model, scope, onCell, selected }: { model: ModelSummary; scope: ReportScope; onCell(trueClass: string, predictedClass: string): void; selected: SelectedCell | null }) {
  const { version, jobs, trackJob, notify } = useApp();
  const { data: report, error } = useRequest('reports.get', { modelId: model.id, scope }, [model.id, scope, version]);

  const evaluation = [...jobs.values()].filter((j): j is EvaluateJob => j.kind === 'evaluate' && j.params.modelId === model.id).at(-1);
  const evaluating = evaluation?.status === 'running' ? evaluation : undefined;
  // An evaluation that ends while the page watches it says how it ended (the report under it refreshes too).
  const watched = useRef<string | null>(null);
  useEffect(() => {
    if (!evaluation) return;
    if (evaluation.status === 'running') {
      watched.current = evaluation.id;
      return;
    }
    if (watched.current !== evaluation.id) return;
    watched.current = null;
    const split = evaluation.params.split === 'val' ? 'validation' : evaluation.params.split;
    const r = evaluation.status === 'completed' ? evaluation.result : null;
    if (evaluation.status === 'failed') notify(`Evaluation on the ${split} split failed: ${evaluation.error ?? 'unknown error'}`, 'error');
    else if (!r || r.cancelled) notify(`Evaluation on the ${split} split stopped`, 'info');
    else
      notify(
        `Evaluated ${modelLabel(model)} on the ${split} split: accuracy ${formatPercent(r.report.accuracy)}${r.errors.length > 0 ? `, ${plural(r.errors.length, 'photo')} failed` : ''}`,
        r.errors.length > 0 ? 'error' : 'success',
      );
  }, [evaluation, model, notify]);
  const evaluate = async () => {
    if (scope === 'all') return;
    try {
      const { job } = await call('jobs.start', { kind: 'evaluate', params: { modelId: model.id, split: scope } });
      trackJob(job);
    } catch (err) {
      notify(errorMessage(err), 'error');
    }
  };

  return (
    <section className="card-panel model-report" aria-label={`Report of ${modelLabel(model)}`} data-model={model.id}>
      <h2 className="report-title">{modelLabel(model)}</h2>
      {error ? <p className="error-text">{error}</p> : null}
      {evaluating ? (
        <div className="evaluate-progress" aria-live="polite">
          <progress max={Math.max(1, evaluating.progress?.total ?? 1)} value={evaluating.progress?.done ?? 0} aria-label="Evaluation progress" />
          <span className="muted small">
            Evaluating on the {evaluating.params.split} split: {formatCount(evaluating.progress?.done ?? 0)} / {formatCount(evaluating.progress?.total ?? 0)}
          </span>
        </div>
      ) : report && report.unpredicted > 0 && scope !== 'all' ? (
        <div className="evaluate-hint">
          <span>
            {plural(report.unpredicted, `${scope === 'val' ? 'validation' : scope} specimen`)} {report.unpredicted === 1 ? 'has' : 'have'} no prediction from this model yet.
          </span>
          <button type="button" className="primary" onClick={() => void evaluate()} disabled={!model.fileExists}>
            Evaluate on the {scope === 'val' ? 'validation' : scope} split
          </button>
        </div>
      ) : null}
      {report && report.labeled > 0 ? (
        <>
          <ReportFigures report={report.report} scored={report.labeled} scoredLabel="labeled specimens scored" onCell={onCell} selected={selected} />
        </>
      ) : report && !evaluating ? (
        <p className="muted">No labeled specimen in this scope has a prediction from this model yet.</p>
      ) : null}
    </section>
  );
}

function CellDrawer({ cell, scope, onClose }: { cell: Cell; scope: ReportScope; onClose(): void }) {
  const { catalogue, version } = useApp();
  const cellOf = { trueClass: cell.trueClass, predictedClass: cell.predictedClass, limit: 200 };
  // Another cell's photos under this cell's title would mislead: show none until this cell's arrive.
  const ofModel = useRequest('reports.cell', cell.kind === 'model' ? { modelId: cell.owner, scope, ...cellOf } : null, [cell, scope, version], { clearWhileLoading: true });
  const ofRun = useRequest('cv.cell', cell.kind === 'cv' ? { name: cell.owner, ...cellOf } : null, [cell, version], { clearWhileLoading: true });
  const { data: items, error } = cell.kind === 'model' ? ofModel : ofRun;
  const sectionRef = useRef<HTMLElement>(null);
  const headingRef = useRef<HTMLHeadingElement>(null);
  // The photos open below the reports, often below the fold: bring them into view and put the keyboard on their
  // heading, so that a click or Enter on a cell visibly does something (and Escape, from there, closes them).
  useEffect(() => {
    sectionRef.current?.scrollIntoView({ block: 'start' });
    headingRef.current?.focus({ preventScroll: true });
  }, [cell]);
  const onKeyDown = (e: KeyboardEvent<HTMLElement>) => {
    if (e.key !== 'Escape') return;
    e.preventDefault();
    onClose();
  };
  if (!catalogue) return null;
  return (
    <section ref={sectionRef} className="card-panel cell-drawer" aria-label="Photos of the confusion cell" onKeyDown={onKeyDown}>
      <div className="card-title-row">
        <h2 ref={headingRef} tabIndex={-1} className="cell-drawer-title">
          Labeled <span className="chip-inline">{cell.trueClass}</span>, predicted <span className="chip-inline">{cell.predictedClass}</span>
          {items ? <span className="muted"> · {plural(items.total, 'photo')}</span> : null}
        </h2>
        <button type="button" className="icon" aria-label="Close the photos" onClick={onClose}>
          ×
        </button>
      </div>
      {error ? <p className="error-text">{error}</p> : null}
      {items && items.total === 0 ? <p className="muted">No photos in this cell.</p> : null}
      <ul className="thumb-strip">
        {items?.items.map((s) => (
          <li key={s.id} className="thumb-card" data-specimen-id={s.id}>
            <img src={imageUrl('thumb', s.id, catalogue.key)} alt={`Photo of ${s.originalName}`} />
            <span className="thumb-name" title={s.originalName}>
              {s.sampleCode ?? s.originalName}
            </span>
            <span className="muted small">
              {formatPercent(s.confidence)} sure{s.loss !== null ? ` · loss ${s.loss.toFixed(2)}` : ''}
            </span>
          </li>
        ))}
      </ul>
      {items && items.total > items.items.length ? <p className="muted small">The {items.items.length} most confident are shown.</p> : null}
    </section>
  );
}

function ExportCsv({ model, scope }: { model: ModelSummary; scope: ReportScope }) {
  const { catalogue, app, notify } = useApp();
  const [kind, setKind] = useState<'metrics' | 'confusion' | 'predictions'>('metrics');
  const suggested = catalogue ? joinPath(dirname(catalogue.path), `${model.id.slice(0, 8)}-${kind}-${scope}.csv`) : '';
  const [file, setFile] = useState('');
  const [written, setWritten] = useState<string | null>(null);
  const target = file.trim() === '' ? suggested : file;
  const exportTo = async (to: string) => {
    try {
      const r = await call('reports.exportCsv', { modelId: model.id, kind, scope, path: to });
      setWritten(`${plural(r.rows, 'row')} written to ${r.path}`);
      notify(`CSV saved: ${r.path}`, 'success');
    } catch (err) {
      notify(errorMessage(err), 'error');
    }
  };
  const exportNative = async () => {
    try {
      const { path } = await call('dialog.saveFile', { title: 'Export CSV', defaultPath: target });
      if (path) await exportTo(path);
    } catch (err) {
      notify(errorMessage(err), 'error');
    }
  };
  return (
    <section className="card-panel export-panel" aria-labelledby="export-title">
      <h2 id="export-title">Export CSV</h2>
      <div className="export-row">
        <label htmlFor="export-kind">Table</label>
        <select id="export-kind" value={kind} onChange={(e) => setKind(e.target.value as typeof kind)}>
          <option value="metrics">Per-class metrics</option>
          <option value="confusion">Confusion matrix</option>
          <option value="predictions">Predictions, one row per photo</option>
        </select>
        {app?.capabilities.nativeDialogs ? (
          <button type="button" className="primary" onClick={() => void exportNative()}>
            Export CSV…
          </button>
        ) : (
          <>
            <label htmlFor="export-path">File</label>
            <PathField id="export-path" label="CSV file" kind="save" value={file} placeholder={suggested} onChange={setFile} />
            <button type="button" className="primary" onClick={() => void exportTo(target)}>
              Export CSV
            </button>
          </>
        )}
      </div>
      <p className="muted small">
        Of the {SCOPES.find((s) => s.value === scope)?.label.toLowerCase()} of {modelLabel(model)}: the same files <span className="mono">orelab export</span> writes.
      </p>
      {written ? (
        <p className="ok-text export-result" role="status">
          {written}
        </p>
      ) : null}
    </section>
  );
}
