// Reports: a model's per-class precision / recall / F1 and its confusion matrix, from the predictions stored
// for a split (evaluating the split fills them in: the `evaluate` job) or all stored predictions. A click on a
// confusion cell lists its photos; a second model shows side by side; the tables export as CSV.
import { useEffect, useState, type CSSProperties } from 'react';
import type { JobInfo, ModelSummary, Report, ReportScope } from '../../shared/ipc';
import { useApp } from '../app/state';
import { call, errorMessage, imageUrl } from '../api';
import { modelLabel, useModels } from '../hooks/useModels';
import { useRequest } from '../hooks/useRequest';
import { PathField } from '../components/PathField';
import { confusionInk, confusionShade } from '../lib/heat';
import { formatCount, formatPercent, plural } from '../lib/format';
import { dirname, joinPath } from '../lib/paths';

type EvaluateJob = Extract<JobInfo, { kind: 'evaluate' }>;
const SCOPES: { value: ReportScope; label: string }[] = [
  { value: 'test', label: 'Test split' },
  { value: 'val', label: 'Validation split' },
  { value: 'train', label: 'Train split' },
  { value: 'all', label: 'All stored predictions' },
];

interface Cell {
  modelId: string;
  trueClass: string;
  predictedClass: string;
}

export function ReportsPage() {
  const { catalogue } = useApp();
  const { models, error } = useModels();
  const [modelId, setModelId] = useState('');
  const [compareId, setCompareId] = useState('');
  const [scope, setScope] = useState<ReportScope>('test');
  const [cell, setCell] = useState<Cell | null>(null);

  useEffect(() => {
    if (models && models.length > 0 && !models.some((m) => m.id === modelId)) setModelId(models[0]!.id);
  }, [models, modelId]);

  if (!catalogue) return null;
  if (error) return <div className="page page-padded error-text">{error}</div>;
  if (!models) return <div className="page page-padded" aria-busy="true" />;
  if (models.length === 0) {
    return (
      <div className="page page-padded">
        <section className="card-panel narrow">
          <h2>No model yet</h2>
          <p>Train one on the Training page, or add a model file trained elsewhere on the Batch classification page. Its report appears here.</p>
        </section>
      </div>
    );
  }
  const model = models.find((m) => m.id === modelId);
  const compare = models.find((m) => m.id === compareId && m.id !== modelId);
  return (
    <div className="page page-padded page-reports">
      <div className="toolbar" role="group" aria-label="Report settings">
        <label htmlFor="report-model">Model</label>
        <select id="report-model" value={modelId} onChange={(e) => (setModelId(e.target.value), setCell(null))}>
          {models.map((m) => (
            <option key={m.id} value={m.id}>
              {modelLabel(m)}
            </option>
          ))}
        </select>
        <label htmlFor="report-scope">Predictions</label>
        <select id="report-scope" value={scope} onChange={(e) => (setScope(e.target.value as ReportScope), setCell(null))}>
          {SCOPES.map((s) => (
            <option key={s.value} value={s.value}>
              {s.label}
            </option>
          ))}
        </select>
        <label htmlFor="report-compare">Compare with</label>
        <select id="report-compare" value={compareId} onChange={(e) => setCompareId(e.target.value)}>
          <option value="">no other model</option>
          {models
            .filter((m) => m.id !== modelId)
            .map((m) => (
              <option key={m.id} value={m.id}>
                {modelLabel(m)}
              </option>
            ))}
        </select>
      </div>
      <div className={compare ? 'report-columns compare' : 'report-columns'}>
        {model ? <ModelReport model={model} scope={scope} onCell={setCell} selected={cell?.modelId === model.id ? cell : null} /> : null}
        {compare ? <ModelReport model={compare} scope={scope} onCell={setCell} selected={cell?.modelId === compare.id ? cell : null} /> : null}
      </div>
      {cell ? <CellDrawer cell={cell} scope={scope} onClose={() => setCell(null)} /> : null}
      {model ? <ExportCsv model={model} scope={scope} /> : null}
    </div>
  );
}

function ModelReport({ model, scope, onCell, selected }: { model: ModelSummary; scope: ReportScope; onCell(c: Cell): void; selected: Cell | null }) {
  const { version, jobs, trackJob, notify } = useApp();
  const { data: report, error } = useRequest('reports.get', { modelId: model.id, scope }, [model.id, scope, version]);

  const evaluation = [...jobs.values()].filter((j): j is EvaluateJob => j.kind === 'evaluate' && j.params.modelId === model.id).at(-1);
  const evaluating = evaluation?.status === 'running' ? evaluation : undefined;
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
          <div className="cards compact-cards">
            <div className="stat-card">
              <div className="stat-value accuracy">{formatPercent(report.report.accuracy)}</div>
              <div className="stat-label">accuracy</div>
            </div>
            <div className="stat-card">
              <div className="stat-value">{report.report.macro_f1.toFixed(3)}</div>
              <div className="stat-label">macro F1</div>
            </div>
            <div className="stat-card">
              <div className="stat-value">{formatCount(report.labeled)}</div>
              <div className="stat-label">labeled specimens scored</div>
            </div>
          </div>
          <PerClassTable report={report} />
          <ConfusionMatrix report={report} onCell={(t, p) => onCell({ modelId: model.id, trueClass: t, predictedClass: p })} selected={selected} />
        </>
      ) : report && !evaluating ? (
        <p className="muted">No labeled specimen in this scope has a prediction from this model yet.</p>
      ) : null}
    </section>
  );
}

function PerClassTable({ report }: { report: Report }) {
  const bar = (v: number) => ({ '--bar': `${Math.round(v * 100)}%` }) as CSSProperties;
  return (
    <table className="data-table per-class-table">
      <thead>
        <tr>
          <th>Class</th>
          <th className="num">Support</th>
          <th className="num">Precision</th>
          <th className="num">Recall</th>
          <th className="num">F1</th>
        </tr>
      </thead>
      <tbody>
        {report.report.per_class.map((c) => (
          <tr key={c.class} data-class={c.class}>
            <td>{c.class}</td>
            <td className="num support">{formatCount(c.support)}</td>
            <td className="num metric precision" style={bar(c.precision)}>
              {c.precision.toFixed(3)}
            </td>
            <td className="num metric recall" style={bar(c.recall)}>
              {c.recall.toFixed(3)}
            </td>
            <td className="num metric f1" style={bar(c.f1)}>
              {c.f1.toFixed(3)}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function ConfusionMatrix({ report, onCell, selected }: { report: Report; onCell(trueClass: string, predictedClass: string): void; selected: Cell | null }) {
  const { classes, confusion } = report.report;
  return (
    <figure className="confusion">
      <figcaption className="muted small">Rows: the label. Columns: the prediction. Shade: share of the row. Click a cell to see its photos.</figcaption>
      <table className="confusion-table">
        <thead>
          <tr>
            <th scope="col" className="corner">
              label ↓ / predicted →
            </th>
            {classes.map((c) => (
              <th key={c} scope="col" className="col-head" title={c}>
                <span>{c}</span>
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {classes.map((t, i) => {
            const rowTotal = confusion[i]!.reduce((a, b) => a + b, 0);
            return (
              <tr key={t}>
                <th scope="row" title={t}>
                  {t}
                </th>
                {classes.map((p, j) => {
                  const n = confusion[i]![j]!;
                  const isSelected = selected?.trueClass === t && selected.predictedClass === p;
                  return (
                    <td key={p}>
                      <button
                        type="button"
                        className={`confusion-cell${isSelected ? ' selected' : ''}`}
                        data-true={t}
                        data-predicted={p}
                        style={{ background: confusionShade(n, rowTotal, i === j), color: confusionInk(n, rowTotal) }}
                        aria-label={`${n} labeled ${t}, predicted ${p}`}
                        aria-pressed={isSelected}
                        onClick={() => onCell(t, p)}
                      >
                        {n}
                      </button>
                    </td>
                  );
                })}
              </tr>
            );
          })}
        </tbody>
      </table>
    </figure>
  );
}

function CellDrawer({ cell, scope, onClose }: { cell: Cell; scope: ReportScope; onClose(): void }) {
  const { catalogue, version } = useApp();
  const { data: items, error } = useRequest(
    'reports.cell',
    { modelId: cell.modelId, scope, trueClass: cell.trueClass, predictedClass: cell.predictedClass, limit: 200 },
    [cell, scope, version],
    // Another cell's photos under this cell's title would mislead: show none until this cell's arrive.
    { clearWhileLoading: true },
  );
  if (!catalogue) return null;
  return (
    <section className="card-panel cell-drawer" aria-label="Photos of the confusion cell">
      <div className="card-title-row">
        <h2>
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
