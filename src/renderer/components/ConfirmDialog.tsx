// A yes/no question in the app's modal Dialog: Cancel has the focus (the safe answer to Enter), Escape and
// the × answer no.
import { useEffect, useRef } from 'react';
import { Dialog } from './Dialog';

export function ConfirmDialog({
  open,
  title,
  confirmLabel,
  onAnswer,
  question,
}: {
  open: boolean;
  title: string;
  confirmLabel: string;
  onAnswer(confirmed: boolean): void;
  /** The question, naming what will change. */
  question: string;
}) {
  const cancelRef = useRef<HTMLButtonElement>(null);
  // After Dialog's own effect has opened it (a child's effects run first), which focused its × button.
  useEffect(() => {
    if (open) cancelRef.current?.focus();
  }, [open]);
  return (
    <Dialog open={open} onClose={() => onAnswer(false)} title={title} className="confirm-dialog">
      <div className="stack">
        <p className="confirm-question">{question}</p>
        <div className="button-row end">
          <button type="button" ref={cancelRef} onClick={() => onAnswer(false)}>
            Cancel
          </button>
          <button type="button" className="primary" onClick={() => onAnswer(true)}>
            {confirmLabel}
          </button>
        </div>
      </div>
    </Dialog>
  );
}
