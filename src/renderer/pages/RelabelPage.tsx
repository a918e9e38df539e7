// Relabel: one model's misclassified and doubtful specimens, ranked by loss or confidence. The current one is
// shown large with its label, the prediction and every class's probability. Keys: a accepts the prediction as
// the label, k keeps the label, f flags it for an expert, arrows move, z undoes a decision made here, shift+z
// redoes it. Each decision is one label operation (relabel.apply): in the label history, undone by labels.undo
// like any label change. The other source, the whole catalogue's label issues (components/LabelIssuesView.tsx),
// needs no model: a switch at the top chooses between them, and is remembered while the app is open.
import { useCallback, useEffect, useRef, useState, type CSSProperties, type KeyboardEvent, type ReactNode } from 'react';
import type { RelabelAction } from '../../shared/ipc';
import { useApp } from '../app/state';
import { call, errorMessage, imageUrl } from '../api';
import { modelLabel, useModels } from '../hooks/useModels';
import { useRequest } from '../hooks/useRequest';
import { useLabelUndo } from '../hooks/useLabelUndo';
import { UndoButtons } from '../components/UndoButtons';
import { History, ProbabilityBars } from '../components/RelabelParts';
import { LabelIssuesView } from '../components/LabelIssuesView';
import { classColor, formatPercent, plural } from '../lib/format';

const PAGE = 100;
const LIST_ID = 'relabel-list';
const ACTION_KEYS: Record<string, RelabelAction> = { a: 'accept', k: 'keep', f: 'flag' };
const LOSS_HELP = 'Loss: how surprised the model is by the label (−ln of the probability it gives the label); 0 is no surprise, above 2.3 it gives the label under 10%.';

/** A doubtful item whose prediction is its label: "pyrite → pyrite" would read as a change. */
const agrees = (s: { label: string | null; predictedClass: string }) => s.label !== null && s.label.toLowerCase() === s.predictedClass.toLowerCase();

type Source = 'split' | 'whole';
// The source chosen last, for the next visit to the page (module state: it lasts while the app is open).
let lastSource: Source = 'split';

export function RelabelPage() {
  const [source, setSource] = useState<Source>(lastSource);
  const choose = (s: Source) => {
    lastSource = s;
    setSource(s);
  };
  const sourceSwitch = (
    <div className="relabel-source" role="radiogroup" aria-label="Source of the specimens to review">
      {(
        [
          ['split', "A split's predictions"],
          ['whole', 'Whole catalogue'],
        ] as const
      ).map(([value, text]) => (
        <label key={value} className={`check source-option${source === value ? ' is-chosen' : ''}`}>
          <input type="radio" name="relabel-source" value={value} checked={source === value} onChange={() => choose(value)} /> {text}
        </label>
      ))}
    </div>
  );
  return source === 'whole' ? <LabelIssuesView sourceSwitch={sourceSwitch} /> : <SplitPredictions sourceSwitch={sourceSwitch} />;
}

function SplitPredictions({ sourceSwitch }: { sourceSwitch: ReactNode }) {
  const { catalogue, classes, version, invalidate, notify } = useApp();
  const { models } = useModels();
  const withPredictions = (models ?? []).filter((m) => m.predictions > 0);
  const [modelId, setModelId] = useState('');
  const [rank, setRank] = useState<'loss' | 'confidence'>('loss');
  const [threshold, setThreshold] = useState('50');
  const [offset, setOffset] = useState(0);
  const [cursor, setCursor] = useState(0);
  const [busy, setBusy] = useState(false);
  const listRef = useRef<HTMLUListElement>(null);

  useEffect(() => {
    if (withPredictions.length > 0 && !withPredictions.some((m) => m.id === modelId)) setModelId(withPredictions[0]!.id);
  }, [withPredictions, modelId]);

  const pct = Number(threshold);
  const thresholdValid = threshold.trim() !== '' && Number.isFinite(pct) && pct >= 0 && pct <= 100;
  // A threshold out of range is not silently ignored: the queue keeps 50% and the bar says so.
  const doubtfulBelow = thresholdValid ? pct / 100 : 0.5;
  const queueRequest = modelId ? { modelId, rank, doubtfulBelow, offset, limit: PAGE } : null;
  const { data: queue, error: queueError } = useRequest('relabel.candidates', queueRequest, [modelId, rank, doubtfulBelow, offset, version]);
  useEffect(() => {
    if (queueError) notify(queueError, 'error');
  }, [queueError, notify]);
  // A shorter queue (its last specimen was just decided) leaves the cursor on its new last item. Set while
  // rendering, so no frame (and no detail request) sees the cursor past the end.
  const lastIndex = Math.max(0, (queue?.items.length ?? 0) - 1);
  if (queue && cursor > lastIndex) setCursor(lastIndex);
  const undo = useLabelUndo();

  const current = queue?.items[cursor];
  const { data: currentDetail, error: detailError } = useRequest('specimens.get', current ? { id: current.id } : null, [current?.id, version]);
  // No history for a specimen whose detail cannot be read, rather than the previous specimen's.
  const detail = detailError === null ? currentDetail : null;
  useEffect(() => {
    listRef.current?.querySelector<HTMLElement>(`[data-index="${cursor}"]`)?.scrollIntoView({ block: 'nearest' });
  }, [cursor]);
  // Once the queue has arrived the list takes the keyboard, so a, k and f work without tabbing to it first; not
  // when the user has meanwhile put the focus somewhere (a setting of the queue, say).
  const queueArrived = queue !== null && queue !== undefined;
  const focusedOnArrival = useRef(false);
  useEffect(() => {
    if (!queueArrived || focusedOnArrival.current) return;
    focusedOnArrival.current = true;
    const active = document.activeElement;
    if (active === null || active === document.body || active.matches('.main, .nav-link')) listRef.current?.focus();
  }, [queueArrived]);

  const act = useCallback(
    async (action: RelabelAction) => {
      if (!current || busy) return;
      setBusy(true);
      try {
        const r = await call('relabel.apply', { modelId, specimenId: current.id, action });
        undo.record(r.opId);
        notify(`${r.description[0]!.toUpperCase()}${r.description.slice(1)} (z undoes)`, 'success');
        // The decided specimen leaves the queue; the cursor stays, so the next one slides under it.
        invalidate();
      } catch (err) {
        notify(errorMessage(err), 'error');
      } finally {
        setBusy(false);
      }
    },
    [current, busy, modelId, notify, invalidate, undo],
  );

  if (!catalogue) return null;
  if (models && withPredictions.length === 0) {
    return (
      <div className="page page-relabel">
        <div className="filter-bar">{sourceSwitch}</div>
        <div className="page-padded">
          <section className="card-panel narrow">
            <h2>Nothing to review yet</h2>
            <p>
              The queue lists the specimens a model gets wrong or is unsure about. Evaluate a model on a split (Reports page) or classify a folder into the catalogue first, or
              choose the whole catalogue above: it needs no model.
            </p>
          </section>
        </div>
      </div>
    );
  }

  const onKeyDown = (e: KeyboardEvent<HTMLDivElement>) => {
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    const n = queue?.items.length ?? 0;
    if (e.key === 'ArrowDown' || e.key === 'ArrowRight') setCursor((c) => Math.min(n - 1, c + 1));
    else if (e.key === 'ArrowUp' || e.key === 'ArrowLeft') setCursor((c) => Math.max(0, c - 1));
    else if (e.key === 'Home') setCursor(0);
    else if (e.key === 'End') setCursor(Math.max(0, n - 1));
    else if (ACTION_KEYS[e.key]) void act(ACTION_KEYS[e.key]!);
    else if (e.key === 'z') void undo.undoHere();
    else if (e.key === 'Z') void undo.redoHere();
    else return;
    e.preventDefault();
  };
  const focusList = () => document.getElementById(LIST_ID)?.focus();
  const classId = (name: string | null) => classes?.find((c) => c.name.toLowerCase() === (name ?? '').toLowerCase())?.id ?? null;

  return (
    <div className="page page-relabel">
      <div className="filter-bar" role="group" aria-label="Queue settings">
        {sourceSwitch}
        <span className="filter-sep" />
        <label htmlFor="relabel-model">Model</label>
        <select id="relabel-model" value={modelId} onChange={(e) => (setModelId(e.target.value), setOffset(0), setCursor(0))}>
          {withPredictions.map((m) => (
            <option key={m.id} value={m.id}>
              {modelLabel(m)}
            </option>
          ))}
        </select>
        <label htmlFor="relabel-rank">Rank by</label>
        <select id="relabel-rank" value={rank} onChange={(e) => (setRank(e.target.value as 'loss' | 'confidence'), setOffset(0), setCursor(0))}>
          <option value="loss">loss, highest first</option>
          <option value="confidence">confidence, lowest first</option>
        </select>
        <label htmlFor="relabel-threshold">Doubtful below</label>
        <input
          id="relabel-threshold"
          className="pct"
          type="number"
          min={0}
          max={100}
          value={threshold}
          aria-invalid={!thresholdValid}
          aria-describedby={thresholdValid ? undefined : 'relabel-threshold-problem'}
          onChange={(e) => (setThreshold(e.target.value), setOffset(0))}
        />
        <span aria-hidden="true">%</span>
        {thresholdValid ? null : (
          <span id="relabel-threshold-problem" className="error-text small" role="alert">
            A percentage from 0 to 100: {threshold.trim() === '' ? 'empty' : `${threshold}%`} is not one; 50% is used.
          </span>
        )}
        <span className="spacer" />
        <span className="result-count queue-count" aria-live="polite">
          {queue === null ? '…' : `${plural(queue.total, 'specimen')} to review`}
        </span>
      </div>
      <div className="split-view relabel-view" onKeyDown={onKeyDown}>
        <div className="relabel-list-wrap">
          <ul id={LIST_ID} ref={listRef} className="relabel-list" role="listbox" aria-label="Specimens to review" tabIndex={0} aria-activedescendant={current ? `relabel-item-${current.id}` : undefined}>
            {queue?.items.map((s, i) => (
              <li
                key={s.id}
                id={`relabel-item-${s.id}`}
                role="option"
                aria-selected={i === cursor}
                data-index={i}
                data-specimen-id={s.id}
                className={`relabel-item${i === cursor ? ' is-current' : ''}`}
                onClick={() => (setCursor(i), focusList())}
              >
                <img src={imageUrl('thumb', s.id, catalogue.key)} alt="" />
                <span className="relabel-item-text">
                  <span className="relabel-item-name">{s.sampleCode ?? s.originalName}</span>
                  <span className="small">
                    {agrees(s) ? (
                      <>
                        <span className="label-text">{s.label}</span>, predicted <span className="predicted-text">{s.predictedClass}</span> too, but unsure
                      </>
                    ) : (
                      <>
                        <span className="label-text">{s.label ?? 'unlabeled'}</span>, predicted <strong className="predicted-text">{s.predictedClass}</strong>
                      </>
                    )}
                  </span>
                  <span className="muted small" title={LOSS_HELP}>
                    {formatPercent(s.confidence)} sure · loss {s.loss === null ? '—' : s.loss.toFixed(2)}
                    {s.flagged ? ' · flagged' : ''}
                  </span>
                </span>
              </li>
            ))}
          </ul>
          {queue && queue.total === 0 ? <p className="muted empty-queue">The queue is empty: every misclassified or doubtful specimen of this model has been reviewed.</p> : null}
          {queue && queue.total > PAGE ? (
            <div className="pager">
              <button type="button" disabled={offset === 0} onClick={() => (setOffset(Math.max(0, offset - PAGE)), setCursor(0))}>
                Previous
              </button>
              <span className="muted small">
                {offset + 1}–{Math.min(offset + PAGE, queue.total)} of {queue.total}
              </span>
              <button type="button" disabled={offset + PAGE >= queue.total} onClick={() => (setOffset(offset + PAGE), setCursor(0))}>
                Next
              </button>
            </div>
          ) : null}
        </div>
        <section className="relabel-current" aria-label="Specimen under review">
          {current && queue ? (
            <>
              <img className="relabel-image" src={imageUrl('full', current.id, catalogue.key)} alt={`Photo of ${current.originalName}`} />
              <div className="relabel-facts">
                <h2 className="relabel-name" title={current.originalName}>
                  {current.sampleCode ?? current.originalName}
                </h2>
                <p>
                  Label{' '}
                  <span className="chip current-label" style={{ '--chip': classColor(current.labelClassId) } as CSSProperties}>
                    <span className="chip-text">{current.label ?? 'unlabeled'}</span>
                  </span>{' '}
                  · prediction{' '}
                  <span className="chip current-prediction" style={{ '--chip': classColor(classId(current.predictedClass)) } as CSSProperties}>
                    <span className="chip-text">{current.predictedClass}</span>
                  </span>{' '}
                  · {formatPercent(current.confidence)} sure · loss {current.loss === null ? '—' : current.loss.toFixed(3)}
                  {current.split ? ` · ${current.split} split` : ''}
                </p>
                <p className="muted small loss-help">
                  {agrees(current) ? 'The prediction agrees with the label, but with little confidence. ' : ''}
                  {LOSS_HELP}
                </p>
                <ProbabilityBars classes={queue.classes} probabilities={current.probabilities} label={current.label} />
                <div className="button-row relabel-actions">
                  <button type="button" className="primary" disabled={busy} onClick={() => (void act('accept'), focusList())} aria-keyshortcuts="a">
                    <kbd>a</kbd> Accept {current.predictedClass}
                  </button>
                  <button type="button" disabled={busy} onClick={() => (void act('keep'), focusList())} aria-keyshortcuts="k">
                    <kbd>k</kbd> Keep {current.label ?? 'unlabeled'}
                  </button>
                  <button type="button" disabled={busy} onClick={() => (void act('flag'), focusList())} aria-keyshortcuts="f">
                    <kbd>f</kbd> Flag for an expert
                  </button>
                </div>
                <UndoButtons undo={undo} after={focusList} />
                <History detail={detail} />
              </div>
            </>
          ) : (
            <p className="muted">{queue ? 'Nothing selected.' : ''}</p>
          )}
        </section>
      </div>
      {undo.dialog}
    </div>
  );
}
