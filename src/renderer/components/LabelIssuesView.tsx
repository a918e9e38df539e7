// Relabel's "Whole catalogue" source: the `label-issues` job (quick mode: out-of-fold probabilities of a
// regression on the shipped ViT-Ti's embeddings, then confident learning) and its result. The Issues tab lists
// the likely wrong labels in rank order, each with its given label, the suggestion, the out-of-fold
// probabilities and its five nearest labeled photos; the Outliers tab lists the photos far from every other rock.
// Keys: a accepts the suggestion (one label operation, labels.assign), k keeps the label (changes nothing: the
// cursor moves on), x excludes the photo (labels.exclude), f flags it for an expert; z undoes the newest of these
// made here and shift+z redoes it. The result shown is that of the latest label-issues job, so it is still there
// after leaving the page and coming back.
import { useCallback, useEffect, useRef, useState, type CSSProperties, type KeyboardEvent, type ReactNode } from 'react';
import type { JobInfo } from '../../shared/ipc';
import type { LabelIssuesResult } from '../../shared/schemas';
import { useApp } from '../app/state';
import { call, errorMessage, imageUrl } from '../api';
import { useRequest } from '../hooks/useRequest';
import { useLabelUndo } from '../hooks/useLabelUndo';
import { UndoButtons } from './UndoButtons';
import { History, ProbabilityBars } from './RelabelParts';
import { classColor, formatPercent, plural } from '../lib/format';

type LabelIssuesJob = Extract<JobInfo, { kind: 'label-issues' }>;
type Tab = 'issues' | 'outliers';
type Action = 'accept' | 'keep' | 'exclude' | 'flag';
/** A decision made here: what the list marks, and what z reverts (keep changes nothing, so it has no undo). */
interface Decision {
  specimenId: number;
  action: Action;
  /** The label operation (accept, exclude); 0 for a flag, which is a specimen field, not a label operation. */
  opId: number;
}
/** One row of either tab, in the shape the list and the review pane share. */
interface Item {
  id: number;
  path: string;
  label: string | null;
}

const LIST_ID = 'label-issues-list';
const PHASES: Record<string, string> = { embedding: 'Embedding photos', fitting: 'Fitting the out-of-fold regression', auditing: 'Auditing the labels' };
const KEYS: Record<Tab, Record<string, Action>> = {
  issues: { a: 'accept', k: 'keep', x: 'exclude', f: 'flag' },
  outliers: { k: 'keep', x: 'exclude' },
};
const MARKS: Record<Action, string> = { accept: 'accepted', keep: 'kept', exclude: 'excluded', flag: 'flagged' };
// The tab chosen last, for the next visit (module state, as the page's source).
let lastTab: Tab = 'issues';

const fileName = (p: string) => p.split(/[\\/]/).at(-1) ?? p;

export function LabelIssuesView({ sourceSwitch }: { sourceSwitch: ReactNode }) {
  const { catalogue, classes, jobs, trackJob, version, invalidate, notify } = useApp();
  const [jobId, setJobId] = useState<string | null>(null);
  const [tab, setTabState] = useState<Tab>(lastTab);
  const [cursor, setCursor] = useState(0);
  const [busy, setBusy] = useState(false);
  const [done, setDone] = useState<Decision[]>([]);
  const [undone, setUndone] = useState<Decision[]>([]);
  const [kept, setKept] = useState<ReadonlySet<number>>(new Set());
  const listRef = useRef<HTMLUListElement>(null);
  const undo = useLabelUndo();

  // After a pass, one click retrains with the settings of the latest completed run (a fold of a cross-validation
  // trains on its fold's photos only, so it is not one to repeat).
  const { data: runs } = useRequest('runs.list', {}, [version]);
  const lastRun = runs?.runs.filter((r) => r.status === 'completed' && r.settings !== null && r.cvFold === null).sort((a, b) => b.id - a.id)[0] ?? null;
  const [retraining, setRetraining] = useState(false);
  const retrain = async () => {
    if (!lastRun?.settings) return;
    setRetraining(true);
    try {
      // The same settings in a fresh folder: the old run's folder holds its finished model.
      const { outDir } = await call('training.defaults', {});
      const { job: started } = await call('jobs.start', { kind: 'train', params: { ...lastRun.settings, outDir } });
      trackJob(started);
      notify(`Training started with the settings of run ${lastRun.id} (${lastRun.variant}), into ${outDir}: the Training page shows it`, 'success');
    } catch (err) {
      notify(errorMessage(err), 'error');
    } finally {
      setRetraining(false);
    }
  };

  const labelJobs = [...jobs.values()].filter((j): j is LabelIssuesJob => j.kind === 'label-issues');
  // The job started here, else the one running, else the latest finished: leaving and coming back keeps the result.
  const job = (jobId ? labelJobs.find((j) => j.id === jobId) : undefined) ?? labelJobs.find((j) => j.status === 'running') ?? labelJobs.at(-1);
  const running = job?.status === 'running';
  const lastResult = [...labelJobs].reverse().find((j) => j.status === 'completed' && j.result)?.result ?? null;
  const result: LabelIssuesResult | null = lastResult;

  const rows: (LabelIssuesResult['issues'][number] | LabelIssuesResult['outliers'][number])[] = result ? (tab === 'issues' ? result.issues : result.outliers) : [];
  const items: Item[] = rows;
  const lastIndex = Math.max(0, items.length - 1);
  if (cursor > lastIndex) setCursor(lastIndex);
  const current = items[cursor];
  const issue = tab === 'issues' && result ? result.issues[cursor] : undefined;
  const outlier = tab === 'outliers' && result ? result.outliers[cursor] : undefined;
  const { data: detail } = useRequest('specimens.get', current ? { id: current.id } : null, [current?.id, version]);
  const live = detail && current && detail.specimen.id === current.id ? detail : null;

  useEffect(() => {
    listRef.current?.querySelector<HTMLElement>(`[data-index="${cursor}"]`)?.scrollIntoView({ block: 'nearest' });
  }, [cursor, tab]);
  // A result that has just arrived takes the keyboard, so a, k, x and f work at once.
  const resultId = result ? `${result.seconds}-${result.issues.length}-${result.outliers.length}` : null;
  useEffect(() => {
    if (resultId === null) return;
    const active = document.activeElement;
    if (active === null || active === document.body || active.matches('.main, .nav-link, .find-issues')) listRef.current?.focus();
  }, [resultId]);

  const setTab = (t: Tab) => {
    lastTab = t;
    setTabState(t);
    setCursor(0);
  };
  const focusList = () => document.getElementById(LIST_ID)?.focus();
  const classId = (name: string) => classes?.find((c) => c.name.toLowerCase() === name.toLowerCase())?.id ?? null;

  const find = async () => {
    try {
      const { job: started } = await call('jobs.start', { kind: 'label-issues', params: {} });
      trackJob(started);
      setJobId(started.id);
      setCursor(0);
      setDone([]);
      setUndone([]);
      setKept(new Set());
    } catch (err) {
      notify(errorMessage(err), 'error');
    }
  };

  const decide = (d: Decision) => {
    // A label operation that changed nothing (already so) made no operation: z must not undo the one before it.
    if (d.action !== 'flag' && d.opId === 0) return;
    setDone((ds) => [...ds, d]);
    setUndone([]);
    if (d.opId > 0) undo.record(d.opId);
  };
  const next = () => setCursor((c) => Math.min(lastIndex, c + 1));

  const act = useCallback(
    async (action: Action) => {
      if (!current || busy) return;
      const name = fileName(current.path);
      if (action === 'keep') {
        // Keeping a label changes nothing in the catalogue (no operation, nothing to undo): the cursor moves on.
        setKept((s) => new Set(s).add(current.id));
        notify(`Kept ${current.label ?? 'unlabeled'} for ${name}: nothing changes; on to the next`);
        next();
        return;
      }
      setBusy(true);
      try {
        if (action === 'accept' && issue) {
          const cls = classId(issue.suggested);
          if (cls === null) throw new Error(`there is no class "${issue.suggested}" any more`);
          const r = await call('labels.assign', { specimenIds: [issue.id], classId: cls });
          decide({ specimenId: issue.id, action, opId: r.opId });
          notify(r.changed ? `Relabeled ${name} ${issue.label} → ${issue.suggested} (z undoes)` : `${name} is already labeled ${issue.suggested}`, 'success');
        } else if (action === 'exclude') {
          const r = await call('labels.exclude', { specimenIds: [current.id], reason: tab === 'issues' ? 'a label issue' : 'an outlier' });
          decide({ specimenId: current.id, action, opId: r.opId });
          notify(r.changed ? `Excluded ${name} from training and evaluation (z undoes)` : `${name} was already excluded`, 'success');
        } else if (action === 'flag') {
          // Already flagged (by anyone): nothing to record, or z would withdraw a flag this page did not set.
          if (live?.specimen.flagged) notify(`${name} is already flagged for an expert`);
          else {
            await call('specimens.update', { id: current.id, patch: { flagged: true } });
            decide({ specimenId: current.id, action, opId: 0 });
            notify(`Flagged ${name} for an expert (z undoes)`, 'success');
          }
        }
        next();
        invalidate();
      } catch (err) {
        notify(errorMessage(err), 'error');
      } finally {
        setBusy(false);
      }
    },
    // eslint-disable-next-line react-hooks/exhaustive-deps -- decide, next and classId read only state listed here
    [current, issue, live, busy, tab, classes, lastIndex, notify, invalidate, undo],
  );

  // z: the newest decision made here. A flag is a specimen field: unset here; the others are label operations,
  // reverted by the page's undo (the same order: this list mirrors the operations recorded with it).
  const undoHere = async () => {
    const last = done.at(-1);
    if (last?.action === 'flag') {
      try {
        await call('specimens.update', { id: last.specimenId, patch: { flagged: false } });
        setDone((ds) => ds.slice(0, -1));
        setUndone((ds) => [...ds, last]);
        show(last.specimenId);
        notify('Unflagged: the flag is withdrawn', 'success');
        invalidate();
      } catch (err) {
        notify(errorMessage(err), 'error');
      }
      return;
    }
    await undo.undoHere();
    if (last) {
      setDone((ds) => ds.slice(0, -1));
      setUndone((ds) => [...ds, last]);
      show(last.specimenId);
    }
  };
  // After an undo or redo the cursor goes back to the photo it changed, so its pane shows the change.
  const show = (specimenId: number) => {
    const i = rows.findIndex((r) => r.id === specimenId);
    if (i >= 0) setCursor(i);
  };
  const redoHere = async () => {
    const last = undone.at(-1);
    if (last?.action === 'flag') {
      try {
        await call('specimens.update', { id: last.specimenId, patch: { flagged: true } });
        setUndone((ds) => ds.slice(0, -1));
        setDone((ds) => [...ds, last]);
        show(last.specimenId);
        notify('Flagged again', 'success');
        invalidate();
      } catch (err) {
        notify(errorMessage(err), 'error');
      }
      return;
    }
    await undo.redoHere();
    if (last) {
      setUndone((ds) => ds.slice(0, -1));
      setDone((ds) => [...ds, last]);
      show(last.specimenId);
    }
  };

  if (!catalogue) return null;

  const onKeyDown = (e: KeyboardEvent<HTMLDivElement>) => {
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    if (e.target instanceof HTMLButtonElement && (e.key === 'Enter' || e.key === ' ')) return;
    const n = items.length;
    if (e.key === 'ArrowDown' || e.key === 'ArrowRight') setCursor((c) => Math.min(n - 1, c + 1));
    else if (e.key === 'ArrowUp' || e.key === 'ArrowLeft') setCursor((c) => Math.max(0, c - 1));
    else if (e.key === 'Home') setCursor(0);
    else if (e.key === 'End') setCursor(Math.max(0, n - 1));
    else if (KEYS[tab][e.key]) void act(KEYS[tab][e.key]!);
    else if (e.key === 'z') void undoHere();
    else if (e.key === 'Z') void redoHere();
    else return;
    e.preventDefault();
  };
  const mark = (id: number) => {
    const d = [...done].reverse().find((x) => x.specimenId === id);
    return d ? MARKS[d.action] : kept.has(id) ? MARKS.keep : null;
  };
  const p = job?.progress;
  const training = [...jobs.values()].some((j) => (j.kind === 'train' || j.kind === 'cv') && j.status === 'running');

  return (
    <div className="page page-relabel page-label-issues">
      <div className="filter-bar" role="group" aria-label="Label issues">
        {sourceSwitch}
        <span className="filter-sep" />
        <button type="button" className="primary find-issues" disabled={running} onClick={() => void find()}>
          {running ? 'Finding label issues…' : result ? 'Find label issues again' : 'Find label issues'}
        </button>
        {result ? (
          <div className="issue-tabs" role="tablist" aria-label="Label issues or outliers">
            {(['issues', 'outliers'] as const).map((t) => (
              <button
                key={t}
                type="button"
                role="tab"
                id={`label-issues-tab-${t}`}
                aria-selected={tab === t}
                aria-controls={LIST_ID}
                className={`issue-tab${tab === t ? ' is-current' : ''}`}
                onClick={() => setTab(t)}
              >
                {t === 'issues' ? `Issues (${result.issues.length})` : `Outliers (${result.outliers.length})`}
              </button>
            ))}
          </div>
        ) : null}
        <span className="spacer" />
        {result && lastRun ? (
          <button
            type="button"
            className="retrain"
            disabled={training || retraining}
            title={training ? 'A training run or cross-validation is running' : `Trains ${lastRun.variant} again with run ${lastRun.id}'s settings, on the labels as they are now`}
            onClick={() => void retrain()}
          >
            Retrain with the same settings
          </button>
        ) : null}
        {result ? (
          <span className="result-count muted-count" title="Estimated share of wrong labels (confident learning)">
            {plural(result.specimens_scored, 'photo')} audited · about {formatPercent(result.estimated_noise_rate)} mislabeled
          </span>
        ) : null}
      </div>
      {running ? (
        <div className="label-issues-progress" aria-live="polite">
          <progress max={Math.max(1, p?.total ?? 1)} value={p?.done ?? 0} aria-label="Label issues progress" />
          <span className="muted small">{p ? `${PHASES[p.phase] ?? p.phase}: ${p.done} of ${p.total}` : 'Starting…'}</span>
        </div>
      ) : null}
      {job?.status === 'failed' ? (
        <p className="error-text label-issues-failed" role="alert">
          Finding label issues failed: {job.error}
        </p>
      ) : null}
      {!result ? (
        running ? null : (
          <div className="page-padded">
            <section className="card-panel narrow">
              <h2>Label issues in the whole catalogue</h2>
              <p>
                Find label issues scores every labeled photo with a model that never saw it (a regression on the shipped ViT-Ti&apos;s embeddings, fold by fold) and lists
                the labels it most doubts, with a suggestion, and the photos far from every other rock. It needs no trained model and takes seconds.
              </p>
            </section>
          </div>
        )
      ) : (
        <div className="split-view relabel-view" onKeyDown={onKeyDown}>
          <div className="relabel-list-wrap">
            <ul
              id={LIST_ID}
              ref={listRef}
              className="relabel-list"
              role="listbox"
              aria-label={tab === 'issues' ? 'Label issues, most likely wrong first' : 'Outliers, most isolated first'}
              tabIndex={0}
              aria-activedescendant={current ? `label-issue-${current.id}` : undefined}
            >
              {rows.map((s, i) => {
                const m = mark(s.id);
                return (
                  <li
                    key={s.id}
                    id={`label-issue-${s.id}`}
                    role="option"
                    aria-selected={i === cursor}
                    data-index={i}
                    data-specimen-id={s.id}
                    className={`relabel-item${i === cursor ? ' is-current' : ''}${m ? ' is-decided' : ''}`}
                    onClick={() => (setCursor(i), focusList())}
                  >
                    <img src={imageUrl('thumb', s.id, catalogue.key)} alt="" />
                    <span className="relabel-item-text">
                      <span className="relabel-item-name">{fileName(s.path)}</span>
                      {'suggested' in s ? (
                        <span className="small">
                          <span className="label-text">{s.label}</span> → <strong className="suggested-text">{s.suggested}</strong>
                        </span>
                      ) : (
                        <span className="small label-text">{s.label ?? 'unlabeled'}</span>
                      )}
                      <span className="muted small">
                        {'suggested' in s ? `#${s.rank} · label ${formatPercent(s.label_probability)}` : `distance ${s.score.toFixed(3)}`}
                        {m ? <span className="decision-mark"> · {m}</span> : null}
                      </span>
                    </span>
                  </li>
                );
              })}
            </ul>
            {items.length === 0 ? (
              <p className="muted empty-queue">{tab === 'issues' ? 'No label issues found: every audited label agrees with the out-of-fold model.' : 'No outliers.'}</p>
            ) : null}
            {result.too_small.length > 0 ? (
              <p className="muted small empty-queue">
                Too small to audit: {result.too_small.map((t) => `${t.class} (${plural(t.groups, 'rock')})`).join(', ')}.
              </p>
            ) : null}
          </div>
          <section className="relabel-current" aria-label={tab === 'issues' ? 'Label issue under review' : 'Outlier under review'}>
            {current ? (
              <>
                <img className="relabel-image" src={imageUrl('full', current.id, catalogue.key)} alt={`Photo of ${fileName(current.path)}`} />
                <div className="relabel-facts">
                  <h2 className="relabel-name" title={current.path}>
                    {fileName(current.path)}
                  </h2>
                  {issue ? (
                    <>
                      <p>
                        Label{' '}
                        <span className="chip current-label" style={{ '--chip': classColor(classId(issue.label)) } as CSSProperties}>
                          <span className="chip-text">{issue.label}</span>
                        </span>{' '}
                        · suggestion{' '}
                        <span className="chip current-suggestion" style={{ '--chip': classColor(classId(issue.suggested)) } as CSSProperties}>
                          <span className="chip-text">{issue.suggested}</span>
                        </span>{' '}
                        · issue {issue.rank} of {result.issues.length}
                      </p>
                      <p className="muted small">
                        Out-of-fold probabilities: a model that never saw this photo gives its label {formatPercent(issue.label_probability)}.
                      </p>
                      <ProbabilityBars classes={result.classes} probabilities={result.classes.map((c) => issue.probabilities[c] ?? 0)} label={issue.label} />
                    </>
                  ) : outlier ? (
                    <p>
                      Label <span className="label-text">{outlier.label ?? 'unlabeled'}</span> · mean distance {outlier.score.toFixed(3)} to its {result.outlier_k} nearest other
                      rocks (outliers are above {result.outlier_threshold.toFixed(3)}): a photo unlike the rest, perhaps no specimen at all.
                    </p>
                  ) : null}
                  {live ? (
                    <p className="live-state small">
                      Now: <strong className="live-label">{live.specimen.label ?? 'unlabeled'}</strong>
                      {live.specimen.excludedAt ? <strong className="live-excluded"> · excluded</strong> : null}
                      {live.specimen.flagged ? ' · flagged' : ''}
                    </p>
                  ) : null}
                  <div className="button-row relabel-actions">
                    {issue ? (
                      <button type="button" className="primary" disabled={busy} onClick={() => (void act('accept'), focusList())} aria-keyshortcuts="a">
                        <kbd>a</kbd> Accept {issue.suggested}
                      </button>
                    ) : null}
                    <button type="button" disabled={busy} onClick={() => (void act('keep'), focusList())} aria-keyshortcuts="k" title="Changes nothing: moves on">
                      <kbd>k</kbd> Keep {current.label ?? 'unlabeled'}
                    </button>
                    <button type="button" disabled={busy} onClick={() => (void act('exclude'), focusList())} aria-keyshortcuts="x">
                      <kbd>x</kbd> Exclude the photo
                    </button>
                    {issue ? (
                      <button type="button" disabled={busy} onClick={() => (void act('flag'), focusList())} aria-keyshortcuts="f">
                        <kbd>f</kbd> Flag for an expert
                      </button>
                    ) : null}
                  </div>
                  <UndoButtons undo={undo} after={focusList} />
                  {issue && issue.neighbours.length > 0 ? (
                    <section className="neighbours" aria-label="Nearest labeled photos of other rocks">
                      <h3>Nearest labeled photos</h3>
                      <ul className="neighbour-list">
                        {issue.neighbours.map((n) => (
                          <li key={n.id} className="neighbour" data-label={n.label}>
                            <img src={imageUrl('thumb', n.id, catalogue.key)} alt={`${n.label}: ${fileName(n.path)}`} />
                            <span className="small">{n.label}</span>
                            <span className="muted small">d {n.distance.toFixed(3)}</span>
                          </li>
                        ))}
                      </ul>
                    </section>
                  ) : null}
                  <History detail={live} />
                </div>
              </>
            ) : null}
          </section>
        </div>
      )}
      {undo.dialog}
    </div>
  );
}
