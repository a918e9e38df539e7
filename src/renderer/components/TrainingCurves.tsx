// A training run's curves (loss and accuracy per epoch, the running loss, the kept checkpoint and why, the epoch
// table) and its status line: shown by the Training page for a single run and for the fold a cross-validation is
// training, from the same `train` progress shape.
import { useMemo, useState } from 'react';
import type { EpochMetrics, JobProgress } from '../../shared/ipc';
import { keptCheckpoint } from '../../shared/training';
import type { KeepRule } from '../../shared/training-options';
import { call } from '../api';
import { LineChart, type Series } from './LineChart';
import { formatPercent, formatSeconds } from '../lib/format';

/** Where a training is: preparing, epoch k of K at step s, validating, exporting. */
export function trainPhaseText(p: JobProgress<'train'> | null): string {
  if (!p) return 'Starting…';
  if (p.phase === 'preparing') return p.message ? `Preparing: ${p.message}` : 'Preparing';
  if (p.phase === 'exporting') return 'Exporting the kept model';
  const what = p.phase === 'validating' ? 'validating' : `step ${p.step} of ${p.stepsPerEpoch}`;
  return `Epoch ${Math.min(p.epoch + 1, p.epochs)} of ${p.epochs}, ${what}`;
}

/** The live panel's heading, with Stop while the job runs: it checkpoints, and starting it again resumes. */
export function LiveRunTitle({ title, runningJobId }: { title: string; runningJobId: string | null }) {
  // The trainer stops at its next step and checkpoints first, which takes seconds: say so until the job ends.
  const [stoppingJob, setStoppingJob] = useState<string | null>(null);
  const stopping = runningJobId !== null && stoppingJob === runningJobId;
  const stop = (jobId: string) => {
    setStoppingJob(jobId);
    call('jobs.cancel', { jobId }).catch(() => setStoppingJob(null));
  };
  return (
    <div className="card-title-row">
      <h2 id="train-live-title">{title}</h2>
      {runningJobId !== null ? (
        <button type="button" disabled={stopping} onClick={() => stop(runningJobId)}>
          {stopping ? 'Stopping…' : 'Stop (resumable)'}
        </button>
      ) : null}
    </div>
  );
}

/** The progress bar and status line of a running training: phase, running loss, speed, ETA. */
export function TrainStatus({ progress: p, epochs, label }: { progress: JobProgress<'train'> | null; epochs: number; label: string }) {
  const done = p ? p.epoch * Math.max(1, p.stepsPerEpoch) + p.step : 0;
  const all = Math.max(1, epochs * Math.max(1, p?.stepsPerEpoch ?? 1));
  return (
    <>
      <progress max={all} value={Math.min(done, all)} aria-label={label} />
      <p className="train-status">
        <span className="phase">{trainPhaseText(p)}</span>
        {p?.trainLoss !== null && p?.trainLoss !== undefined ? <span> · loss {p.trainLoss.toFixed(4)}</span> : null}
        {p?.imagesPerSecond ? <span> · {p.imagesPerSecond.toFixed(1)} images/s</span> : null}
        <span className="eta"> · ETA {p?.etaSeconds === null || p?.etaSeconds === undefined ? 'estimating…' : formatSeconds(p.etaSeconds)}</span>
      </p>
    </>
  );
}

/** `keep`: the run's checkpoint rule (its params' `keep`), so the "why" is that rule's; best-acc when not given. */
export function Curves({ epochs, trace, total, keep }: { epochs: readonly EpochMetrics[]; trace: readonly { x: number; loss: number }[]; total: number; keep?: KeepRule | undefined }) {
  const kept = useMemo(() => keptCheckpoint(epochs, keep), [epochs, keep]);
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
        <div className="table-scroll">
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
        </div>
      ) : null}
    </div>
  );
}
