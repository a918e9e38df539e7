// A yes/no question in the app's modal Dialog: Cancel has the focus (the safe answer to Enter), Escape and
// the × answer no.
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
  return (
    <Dialog open={open} onClose={() => onAnswer(false)} title={title} className="confirm-dialog">
      <div className="stack">
        <p className="confirm-question">{question}</p>
        <div className="button-row end">
          <button type="button" autoFocus onClick={() => onAnswer(false)}>
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
