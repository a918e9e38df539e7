// Undo and redo on a page that changes labels (Labeling, Relabel, Catalogue). The keyboard's z undoes only the
// operations made on this page in this visit, newest first, and shift+z redoes what the page undid: one key
// must never revert a change the user did not make here (an import's 804 folder labels). The Undo and Redo
// buttons go further, to the newest operation of the whole catalogue, and always ask first for one not made
// here; a bulk one (an import's folder labels, a merge, over 50 specimens) is confirmed whichever way it
// comes, with the count it changes (labels.preview says it before anything changes).
import { createElement, useCallback, useEffect, useRef, useState, type ReactNode } from 'react';
import type { LabelOpAction, LabelOpEffect } from '../../shared/schemas';
import { useApp } from '../app/state';
import { call, errorMessage } from '../api';
import { plural } from '../lib/format';
import { useRequest } from './useRequest';
import { ConfirmDialog } from '../components/ConfirmDialog';

export interface LabelUndo {
  /** Remembers an operation made on this page (its op id), for z. */
  record(opId: number): void;
  /** z: the newest operation made on this page and not undone. */
  undoHere(): Promise<void>;
  /** shift+z: the newest operation this page undid. */
  redoHere(): Promise<void>;
  /** The Undo button: this page's newest operation, else the catalogue's newest (confirmed). */
  undoAny(): Promise<void>;
  /** The Redo button: what this page undid, else the catalogue's newest undone operation (confirmed). */
  redoAny(): Promise<void>;
  /** What the Undo and Redo buttons would do now, and whether it was made on this page. */
  nextUndo: { effect: LabelOpEffect; here: boolean } | null;
  nextRedo: { effect: LabelOpEffect; here: boolean } | null;
  /** The confirmation dialog: render it once on the page. */
  dialog: ReactNode;
}

interface Question {
  effect: LabelOpEffect;
  answer(confirmed: boolean): void;
}

const VERBS: Record<LabelOpAction, { verb: string; past: string }> = { undo: { verb: 'Undo', past: 'Undid' }, redo: { verb: 'Redo', past: 'Redid' } };

export function useLabelUndo(): LabelUndo {
  const { version, invalidate, notify } = useApp();
  // Op ids, oldest first: made on this page and standing; undone by this page and not redone.
  const [made, setMade] = useState<number[]>([]);
  const [undone, setUndone] = useState<number[]>([]);
  const [question, setQuestion] = useState<Question | null>(null);
  // One undo or redo at a time: a key held down must not queue up reverts behind a confirmation.
  const busy = useRef(false);

  const lastMade = made.at(-1);
  const lastUndone = undone.at(-1);
  const undoRequest = useRequest('labels.preview', { action: 'undo', opId: lastMade }, [lastMade, version]);
  const redoRequest = useRequest('labels.preview', { action: 'redo', opId: lastUndone }, [lastUndone, version]);
  // This page's operation was undone or redone elsewhere meanwhile (another page, the CLI): forget it, so the
  // buttons offer what is left.
  useEffect(() => {
    if (undoRequest.error && lastMade !== undefined) setMade((ops) => ops.filter((id) => id !== lastMade));
  }, [undoRequest.error, lastMade]);
  useEffect(() => {
    if (redoRequest.error && lastUndone !== undefined) setUndone((ops) => ops.filter((id) => id !== lastUndone));
  }, [redoRequest.error, lastUndone]);
  const undoPreview = undoRequest.error ? null : (undoRequest.data?.effect ?? null);
  const redoPreview = redoRequest.error ? null : (redoRequest.data?.effect ?? null);

  const record = useCallback((opId: number) => {
    if (opId === 0) return; // nothing changed, nothing recorded
    setMade((ops) => [...ops.filter((id) => id !== opId), opId]);
    setUndone([]);
  }, []);

  const ask = (effect: LabelOpEffect) => new Promise<boolean>((resolve) => setQuestion({ effect, answer: resolve }));

  const run = useCallback(
    async (action: LabelOpAction, opId: number | undefined, here: boolean) => {
      if (busy.current) return;
      busy.current = true;
      const { past } = VERBS[action];
      try {
        const { effect } = await call('labels.preview', { action, opId });
        if (!effect) {
          notify(`Nothing to ${action}`);
          return;
        }
        if (effect.bulk || !here) {
          const confirmed = await ask(effect);
          setQuestion(null);
          if (!confirmed) {
            notify(`Not ${action === 'undo' ? 'undone' : 'redone'}: nothing changed`);
            return;
          }
        }
        const request = { opId: effect.opId };
        const outcome = action === 'undo' ? (await call('labels.undo', request)).undone : (await call('labels.redo', request)).redone;
        if (outcome) {
          const moveFrom = action === 'undo' ? setMade : setUndone;
          const moveTo = action === 'undo' ? setUndone : setMade;
          moveFrom((ops) => ops.filter((id) => id !== outcome.opId));
          moveTo((ops) => [...ops.filter((id) => id !== outcome.opId), outcome.opId]);
          notify(`${past} “${outcome.description}”: ${outcome.summary}`, 'success');
        }
        invalidate();
      } catch (err) {
        // Undone or redone elsewhere meanwhile (another page, the CLI): this page forgets it.
        if (opId !== undefined) (action === 'undo' ? setMade : setUndone)((ops) => ops.filter((id) => id !== opId));
        notify(errorMessage(err), 'error');
        invalidate();
      } finally {
        busy.current = false;
      }
    },
    [notify, invalidate],
  );

  const undoHere = useCallback(async () => {
    if (lastMade === undefined) notify('Nothing from this page to undo: z undoes only the changes made here. The Undo button offers older changes, after asking.');
    else await run('undo', lastMade, true);
  }, [lastMade, run, notify]);
  const redoHere = useCallback(async () => {
    if (lastUndone === undefined) notify('Nothing undone on this page to redo');
    else await run('redo', lastUndone, true);
  }, [lastUndone, run, notify]);
  const undoAny = useCallback(() => run('undo', lastMade, lastMade !== undefined), [lastMade, run]);
  const redoAny = useCallback(() => run('redo', lastUndone, lastUndone !== undefined), [lastUndone, run]);

  // Always mounted, opened and closed: closing a modal <dialog> gives the focus back to where it was (the grid).
  const effect = question?.effect;
  const verb = VERBS[effect?.action ?? 'undo'].verb;
  const dialog = createElement(ConfirmDialog, {
    open: question !== null,
    title: `${verb} ${effect?.bulk === false ? 'a change not made on this page' : 'a bulk change'}?`,
    confirmLabel: effect ? `${verb} ${plural(effect.specimens, 'specimen')}` : verb,
    onAnswer: (confirmed: boolean) => question?.answer(confirmed),
    question: effect ? `${verb} “${effect.description}”? ${effect.consequence}` : '',
  });

  return {
    record,
    undoHere,
    redoHere,
    undoAny,
    redoAny,
    nextUndo: undoPreview ? { effect: undoPreview, here: lastMade !== undefined } : null,
    nextRedo: redoPreview ? { effect: redoPreview, here: lastUndone !== undefined } : null,
    dialog,
  };
}
