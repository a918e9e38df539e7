// Import a folder: the path (typed, or picked with the native dialog in the desktop app), whether sub-folder
// names are class labels, then live progress from the import job and its summary.
import { useEffect, useState, type FormEvent } from 'react';
import type { JobInfo } from '../../shared/ipc';
import { useApp } from '../app/state';
import { call, errorMessage } from '../api';
import { Dialog } from './Dialog';
import { formatCount, formatSeconds, plural } from '../lib/format';

type ImportJob = Extract<JobInfo, { kind: 'import' }>;

export function ImportDialog({ open, onClose }: { open: boolean; onClose(): void }) {
  const { app, jobs, trackJob } = useApp();
  const [folder, setFolder] = useState('');
  const [labelsFromFolders, setLabelsFromFolders] = useState(false);
  const [jobId, setJobId] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [starting, setStarting] = useState(false);

  const running = [...jobs.values()].find((j): j is ImportJob => j.kind === 'import' && j.status === 'running');
  const job: ImportJob | undefined = (jobId ? (jobs.get(jobId) as ImportJob | undefined) : undefined) ?? running;

  useEffect(() => {
    if (!open && job && job.status !== 'running') setJobId(null);
  }, [open, job]);

  const start = async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    setStarting(true);
    try {
      const { job: started } = await call('jobs.start', { kind: 'import', params: { folder: folder.trim(), labelsFromFolders } });
      trackJob(started);
      setJobId(started.id);
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setStarting(false);
    }
  };

  const choose = async () => {
    try {
      const { path } = await call('dialog.chooseFolder', { title: 'Import folder' });
      if (path) setFolder(path);
    } catch (err) {
      setError(errorMessage(err));
    }
  };

  return (
    <Dialog open={open} onClose={onClose} title="Import folder" className="import-dialog">
      {!job ? (
        <form onSubmit={(e) => void start(e)} className="stack">
          <label htmlFor="import-folder" className="field-label">
            Folder with photos
          </label>
          <div className="inline-form">
            <input
              id="import-folder"
              className="grow"
              value={folder}
              placeholder="/path/to/photos"
              onChange={(e) => setFolder(e.target.value)}
              autoFocus
              spellCheck={false}
            />
            {app?.capabilities.nativeDialogs ? (
              <button type="button" onClick={() => void choose()}>
                Choose…
              </button>
            ) : null}
          </div>
          <label className="check">
            <input type="checkbox" checked={labelsFromFolders} onChange={(e) => setLabelsFromFolders(e.target.checked)} />
            Use sub-folder names as class labels (e.g. photos/quartz/*.jpg → quartz)
          </label>
          <p className="muted small">
            Photos in sub-folders are found too. Files already in the catalogue (same bytes) are not added twice, and an interrupted import can
            simply be run again.
          </p>
          {error ? <p className="error-text" role="alert">{error}</p> : null}
          <div className="button-row end">
            <button type="button" onClick={onClose}>
              Cancel
            </button>
            <button type="submit" className="primary" disabled={folder.trim() === '' || starting}>
              Import
            </button>
          </div>
        </form>
      ) : (
        <ImportStatus job={job} onClose={onClose} onAgain={() => setJobId(null)} />
      )}
    </Dialog>
  );
}

function ImportStatus({ job, onClose, onAgain }: { job: ImportJob; onClose(): void; onAgain(): void }) {
  const p = job.progress;
  const r = job.result;
  if (job.status === 'running') {
    return (
      <div className="stack" aria-live="polite">
        <p>
          Importing <span className="path">{job.params.folder}</span>
        </p>
        <progress max={Math.max(1, p?.total ?? 1)} value={p?.done ?? 0} aria-label="Import progress" />
        <p className="import-counts">
          {p ? `${formatCount(p.done)} of ${formatCount(p.total)} · ${formatCount(p.new)} new · ${formatCount(p.duplicates)} already catalogued · ${formatCount(p.errors)} failed` : 'Counting photos…'}
        </p>
        {p ? <p className="muted small path">{p.currentPath}</p> : null}
        <div className="button-row end">
          <button type="button" onClick={() => void call('jobs.cancel', { jobId: job.id })}>
            Stop import
          </button>
          <button type="button" onClick={onClose}>
            Continue in background
          </button>
        </div>
      </div>
    );
  }
  return (
    <div className="stack import-summary" role="status">
      {job.status === 'failed' ? (
        <p className="error-text">Import failed: {job.error}</p>
      ) : r ? (
        <>
          <p className="summary-line">
            {r.cancelled ? 'Import stopped: ' : 'Imported: '}
            {plural(r.new, 'new specimen')}, {formatCount(r.duplicates)} already catalogued, {formatCount(r.errors.length)} failed
            {r.skippedNonImage ? `, ${plural(r.skippedNonImage, 'non-image file')} skipped` : ''}.
          </p>
          {r.labeled ? <p>{plural(r.labeled, 'specimen')} labeled from their folder names.</p> : null}
          <p className="muted small">
            {formatCount(r.specimensTotal)} specimens in the catalogue · {formatSeconds(r.seconds)} · {r.imagesPerSecond.toFixed(0)} images/s
          </p>
          {r.errors.length > 0 ? <IssueList title="Failed files" items={r.errors} /> : null}
          {r.warnings.length > 0 ? <IssueList title="Warnings" items={r.warnings} /> : null}
        </>
      ) : null}
      <div className="button-row end">
        <button type="button" onClick={onAgain}>
          Import another folder
        </button>
        <button type="button" className="primary" onClick={onClose}>
          Done
        </button>
      </div>
    </div>
  );
}

function IssueList({ title, items }: { title: string; items: { path: string; reason: string }[] }) {
  return (
    <details open={items.length <= 5}>
      <summary>
        {title} ({formatCount(items.length)})
      </summary>
      <ul className="issue-list">
        {items.slice(0, 500).map((e, i) => (
          <li key={i}>
            <span className="path">{e.path}</span>: {e.reason}
          </li>
        ))}
      </ul>
    </details>
  );
}
