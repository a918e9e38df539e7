// A cross-validation on the Training page (the `cv` job): while it runs, which fold trains (with that fold's
// curves, the same as a single run's) or which held-out photos are being scored; when it is done, the pooled
// out-of-fold accuracy and macro F1 with their 95% intervals, and the per-fold table. Stop is resumable: the same
// settings in the same folder continue at the fold and epoch it reached.
import type { JobInfo, JobResult } from '../../shared/ipc';
import { formatPercent, plural } from '../lib/format';
import { WithInterval } from './Interval';
import { Curves, LiveRunTitle, TrainStatus } from './TrainingCurves';

export type CvJob = Extract<JobInfo, { kind: 'cv' }>;
type CvSummary = NonNullable<JobResult<'cv'>['summary']>;
function cvTitle(job: CvJob): string {
  switch (job.status) {
    case 'running':
      return 'Cross-validating';
    case 'completed':
      return job.result?.status === 'cancelled' ? 'Stopped cross-validation' : 'Finished cross-validation';
    case 'cancelled':
      return 'Stopped cross-validation';
    case 'failed':
      return 'Failed cross-validation';
  }
}

export function CvLiveRun({ job, onResume, canResume, onReport }: { job: CvJob; onResume(): void; canResume: boolean; onReport(): void }) {
  const p = job.progress;
  const summary = job.status === 'completed' ? (job.result?.summary ?? null) : null;
  const stopped = job.status === 'cancelled' || job.result?.status === 'cancelled';
  const folds = p?.folds ?? job.params.folds;
  const fold = p ? Math.min(p.fold + 1, folds) : 1;
  // The whole run as folds done plus the current fold's share, so the bar never runs backwards between folds.
  const foldShare = !p
    ? 0
    : p.phase === 'scoring'
      ? 0.9 + 0.1 * (p.toScore > 0 ? p.scored / p.toScore : 0)
      : p.train
        ? (0.9 * (p.train.epoch * Math.max(1, p.train.stepsPerEpoch) + p.train.step)) / Math.max(1, p.train.epochs * Math.max(1, p.train.stepsPerEpoch))
        : 0;
  return (
    <div className="live-run cv-run" aria-live="polite">
      <LiveRunTitle title={cvTitle(job)} runningJobId={job.status === 'running' ? job.id : null} />
      {job.status === 'running' ? (
        <>
          <p className="cv-fold">
            <strong>
              Fold {fold} of {folds}
            </strong>
            {p?.phase === 'preparing' ? ' · planning the folds' : p?.phase === 'scoring' ? ` · scoring the held-out photos: ${p.scored} of ${p.toScore}` : ' · training'}
          </p>
          <progress max={folds} value={Math.min(folds, (p?.fold ?? 0) + foldShare)} aria-label="Cross-validation progress" />
          {p?.phase === 'training' ? <TrainStatus progress={p.train} epochs={p.train?.epochs ?? job.params.epochs} label={`Fold ${fold} training progress`} /> : null}
        </>
      ) : null}
      {job.status === 'failed' ? <p className="error-text">Cross-validation failed: {job.error}</p> : null}
      {stopped ? (
        <div className="button-row">
          <p className="warning">Stopped in fold {fold} of {folds}. Resume continues at the fold and epoch it reached.</p>
          {canResume ? (
            <button type="button" onClick={onResume}>
              Resume the cross-validation
            </button>
          ) : null}
        </div>
      ) : null}
      {job.status === 'running' && p?.phase === 'training' && p.train ? <Curves epochs={p.train.epochsDone} trace={p.train.trace} total={p.train.epochs} keep={job.params.keep} /> : null}
      {summary ? <CvSummaryView summary={summary} resumedFolds={job.result?.resumedFolds ?? 0} onReport={onReport} /> : null}
    </div>
  );
}

function CvSummaryView({ summary, resumedFolds, onReport }: { summary: CvSummary; resumedFolds: number; onReport(): void }) {
  const { pooled } = summary;
  return (
    <div className="run-result cv-result">
      <p className="muted small">
        Every labeled photo scored by the model of the fold that held it out: {plural(summary.predicted, 'photo')} in {plural(summary.groups, 'photo group')},{' '}
        {summary.folds.length} folds{summary.tta ? ', with test-time augmentation' : ''}
        {summary.unlabeled > 0 ? `; ${plural(summary.unlabeled, 'unlabeled photo')} left out` : ''}
        {summary.errors.length > 0 ? `; ${plural(summary.errors.length, 'photo')} could not be read` : ''}
        {resumedFolds > 0 ? `; ${plural(resumedFolds, 'fold')} resumed from an earlier start` : ''}.
      </p>
      <dl className="cv-pooled">
        <div>
          <dt>Pooled accuracy</dt>
          <dd className="cv-accuracy">
            <WithInterval value={pooled.accuracy} ci={pooled.accuracy_ci} kind="percent" />
          </dd>
        </div>
        <div>
          <dt>Pooled macro F1</dt>
          <dd className="cv-macro-f1">
            <WithInterval value={pooled.macro_f1} ci={pooled.macro_f1_ci} kind="decimal" />
          </dd>
        </div>
        <div>
          <dt>Mean over folds</dt>
          <dd className="cv-mean">
            accuracy {formatPercent(summary.mean.accuracy)} (SD {formatPercent(summary.sd.accuracy)}), macro F1 {summary.mean.macro_f1.toFixed(3)} (SD {summary.sd.macro_f1.toFixed(3)})
          </dd>
        </div>
      </dl>
      <div className="table-scroll">
        <table className="data-table compact-table cv-folds-table">
          <caption className="muted small">Each fold's model on the photos it held out</caption>
          <thead>
            <tr>
              <th>Fold</th>
              <th className="num">Held-out photos</th>
              <th className="num">Accuracy</th>
              <th className="num">Macro F1</th>
              <th className="num">Kept epoch</th>
            </tr>
          </thead>
          <tbody>
            {summary.folds.map((f) => (
              // Folds and kept epochs are counted from 1 in the summary, as cv.json has them.
              <tr key={f.fold} data-fold={f.fold}>
                <td>{f.fold}</td>
                <td className="num">{f.specimens}</td>
                <td className="num">{formatPercent(f.accuracy)}</td>
                <td className="num">{f.macro_f1.toFixed(3)}</td>
                <td className="num">{f.keptEpoch ?? '—'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <button type="button" className="primary" onClick={onReport}>
        Open “{summary.name}” in Reports
      </button>
    </div>
  );
}
