// The leakage audit of the Rebalancing page: the photo groups (one rock: a shared sample code, or near-duplicate
// photos, computed by the main process) whose photos lie in more than one split, shown side by side, and the fix
// that keeps each group in one split. A group across train and test scores the model on photos it has already
// seen, so the report measures memory, not skill. The fix is one label operation: labels.undo reverts it.
import { useEffect, useRef, useState } from 'react';
import type { ResponseOf } from '../../shared/ipc';
import type { Split } from '../../shared/domain';
import { useApp } from '../app/state';
import { call, errorMessage, imageUrl } from '../api';
import { useRequest } from '../hooks/useRequest';
import { formatCount, plural } from '../lib/format';
import { basename } from '../lib/paths';

type SplitFix = ResponseOf<'splits.fix'>;

/** How a split reads in captions (the catalogue says "val"). */
export function splitName(split: Split | null): string {
  return split === null ? 'no split' : split === 'val' ? 'validation' : split;
}

export function LeakAudit() {
  const { catalogue, version, invalidate, notify } = useApp();
  const { data: audit, error } = useRequest('splits.audit', {}, [version]);
  const [busy, setBusy] = useState(false);
  const [fix, setFix] = useState<SplitFix | null>(null);
  const [undone, setUndone] = useState<string | null>(null);
  // The button pressed goes away (Fix once nothing leaks, Undo once undone): the keyboard focus moves to what
  // happened instead of falling back to the page.
  const outcome = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (fix !== null || undone !== null) outcome.current?.focus();
  }, [fix, undone]);

  if (!catalogue) return null;

  const runFix = async () => {
    setBusy(true);
    try {
      const result = await call('splits.fix', {});
      setFix(result);
      setUndone(null);
      notify(result.moved.length === 0 ? 'Nothing leaked: no photo moved' : `Moved ${plural(result.moved.length, 'photo')} so that each group is in one split`, 'success');
      invalidate();
    } catch (err) {
      notify(errorMessage(err), 'error');
    } finally {
      setBusy(false);
    }
  };
  // Undo names this fix's operation, so a label change made meanwhile (another page, the CLI) is never the one reverted.
  const undo = async (opId: number) => {
    setBusy(true);
    try {
      const { undone: op } = await call('labels.undo', { opId });
      const text = op ? `Undone: ${plural(op.reverted, 'photo')} back in ${op.reverted === 1 ? 'its' : 'their'} split${op.skipped ? `, ${op.skipped} moved since and kept` : ''}.` : 'Nothing to undo.';
      setFix(null);
      setUndone(text);
      notify(text, 'success');
      invalidate();
    } catch (err) {
      notify(errorMessage(err), 'error');
    } finally {
      setBusy(false);
    }
  };

  return (
    <section className="card-panel leak-audit" aria-labelledby="leak-title" aria-busy={audit === null}>
      <h2 id="leak-title">Photo groups across splits</h2>
      <p className="muted small">
        A photo group is one rock: photos that share a sample code, or near-duplicate photos (the same shot recropped, re-encoded or watermarked).
        A group split between train and test lets the model be tested on a rock it trained on.
      </p>
      {error ? <p className="error-text">{error}</p> : null}
      {audit ? (
        <>
          <p className="leak-summary" role="status">
            {plural(audit.groups, 'photo group')}, {plural(audit.grouped_specimens, 'specimen')};{' '}
            {audit.leaks.length === 0 ? (
              <span className="ok-text">none spans more than one split.</span>
            ) : (
              <strong className="leak-count">
                {formatCount(audit.leaks.length)} span{audit.leaks.length === 1 ? 's' : ''} more than one split.
              </strong>
            )}
          </p>
          {audit.leaks.length > 0 ? (
            <>
              <ul className="leak-groups" aria-label="Photo groups that span splits">
                {audit.leaks.map((leak) => (
                  <li key={leak.group} className="leak-group" data-group={leak.group}>
                    <h3 className="leak-group-title">
                      Group {leak.group}: {plural(leak.specimens.length, 'photo')} in {[...new Set(leak.specimens.map((s) => splitName(s.split)))].join(', ')}
                    </h3>
                    <ul className="thumb-strip leak-thumbs">
                      {leak.specimens.map((s) => (
                        <li key={s.id} className="thumb-card" data-specimen-id={s.id} data-split={s.split ?? 'none'}>
                          <img src={imageUrl('thumb', s.id, catalogue.key)} alt={`Photo ${basename(s.path)}, in the ${splitName(s.split)} split`} />
                          <span className={`split-tag split-${s.split ?? 'none'}`}>{splitName(s.split)}</span>
                          <span className="thumb-name" title={s.path}>
                            {basename(s.path)}
                          </span>
                        </li>
                      ))}
                    </ul>
                  </li>
                ))}
              </ul>
              <div className="button-row">
                <button type="button" className="primary" disabled={busy} onClick={() => void runFix()}>
                  Keep each group in one split
                </button>
                <span className="muted small">Moves each group's photos into the split of its first photo; Undo puts them back.</span>
              </div>
            </>
          ) : null}
        </>
      ) : null}
      {undone !== null ? (
        <div className="fix-result" role="status" tabIndex={-1} ref={outcome}>
          <p className="ok-text">{undone}</p>
        </div>
      ) : null}
      {fix && fix.moved.length > 0 ? (
        <div className="fix-result" role="status" tabIndex={-1} ref={outcome}>
          <p className="ok-text">
            Moved {plural(fix.moved.length, 'photo')}: {fix.moved.map((m) => `#${m.id} ${splitName(m.from)} → ${splitName(m.to)}`).join('; ')}.
          </p>
          <div className="button-row">
            <button type="button" disabled={busy} onClick={() => void undo(fix.opId)}>
              Undo the move
            </button>
            <span className="muted small">Undo puts every moved photo back in its split.</span>
          </div>
        </div>
      ) : null}
    </section>
  );
}
