// A cross-validation run, shown like a split: its pooled out-of-fold report (every labeled photo predicted by the
// fold model that never trained on it) with the same figures as a model's, then each fold's own figures and
// their mean ± standard deviation, which say how much the result moves with the draw of the folds.
import type { CvRunBrief, ResponseOf } from '../../shared/ipc';
import { useApp } from '../app/state';
import { useRequest } from '../hooks/useRequest';
import { formatCount, formatPercent, plural } from '../lib/format';
import { ReportFigures, type SelectedCell } from './ReportFigures';

type StoredCvSummary = NonNullable<ResponseOf<'cv.get'>['summary']>;

/** "Cross-validation: NAME (5 folds, out-of-fold)": how a run is named wherever one is picked or compared. */
export function cvRunLabel(run: Pick<CvRunBrief, 'name' | 'folds' | 'status'>): string {
  return `Cross-validation: ${run.name} (${run.folds} folds, out-of-fold)${run.status === 'completed' ? '' : ` · ${run.status}`}`;
}

export function CvReport({ name, onCell, selected }: { name: string; onCell(trueClass: string, predictedClass: string): void; selected: SelectedCell | null }) {
  const { version } = useApp();
  const { data, error } = useRequest('cv.get', { name }, [name, version], { clearWhileLoading: true });
  const summary = data?.summary ?? null;
  return (
    <section className="card-panel model-report cv-report" aria-label={`Report of cross-validation run ${name}`} data-cv={name}>
      <h2 className="report-title">{data ? cvRunLabel(data.run) : `Cross-validation: ${name}`}</h2>
      {error ? <p className="error-text">{error}</p> : null}
      {data && !summary ? (
        <p className="muted">
          {data.run.status === 'running'
            ? 'This run is still under way: its report appears when every fold is scored.'
            : `This run ${data.run.status === 'failed' ? 'failed' : 'was stopped'} before every fold was scored; run it again with the same settings to resume it.`}
        </p>
      ) : null}
      {summary ? (
        <>
          <p className="muted small cv-facts">
            {plural(summary.predicted, 'labeled photo')} predicted out of fold, in {plural(summary.groups, 'photo group')} (a group never spans two folds)
            {summary.tta ? ' · test-time augmentation' : ''}
            {summary.unlabeled > 0 ? ` · ${plural(summary.unlabeled, 'unlabeled photo')} not predicted` : ''}
            {summary.errors.length > 0 ? ` · ${plural(summary.errors.length, 'unreadable photo')} skipped` : ''}
          </p>
          <ReportFigures report={summary.pooled} scored={summary.predicted} scoredLabel="labeled specimens predicted out of fold" onCell={onCell} selected={selected} />
          <FoldTable summary={summary} />
        </>
      ) : null}
    </section>
  );
}

function FoldTable({ summary }: { summary: StoredCvSummary }) {
  return (
    <div className="cv-folds">
      <table className="data-table cv-fold-table">
        <caption>Each fold, scored by the model that did not train on it</caption>
        <thead>
          <tr>
            <th scope="col">Fold</th>
            <th scope="col" className="num">
              Photos
            </th>
            <th scope="col" className="num">
              Kept epoch
            </th>
            <th scope="col" className="num">
              Accuracy
            </th>
            <th scope="col" className="num">
              Macro F1
            </th>
          </tr>
        </thead>
        <tbody>
          {summary.folds.map((f) => (
            <tr key={f.fold} data-fold={f.fold}>
              <th scope="row">{f.fold}</th>
              <td className="num">{formatCount(f.specimens)}</td>
              <td className="num">{f.keptEpoch ?? '—'}</td>
              <td className="num">{formatPercent(f.accuracy)}</td>
              <td className="num">{f.macro_f1.toFixed(3)}</td>
            </tr>
          ))}
        </tbody>
        <tfoot>
          <tr className="cv-mean">
            <th scope="row" colSpan={3}>
              Mean ± standard deviation over the folds
            </th>
            <td className="num">
              {formatPercent(summary.mean.accuracy)} ± {formatPercent(summary.sd.accuracy)}
            </td>
            <td className="num">
              {summary.mean.macro_f1.toFixed(3)} ± {summary.sd.macro_f1.toFixed(3)}
            </td>
          </tr>
        </tfoot>
      </table>
    </div>
  );
}
