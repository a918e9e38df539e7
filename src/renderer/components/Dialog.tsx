// A modal built on <dialog>: focus moves in and is trapped by the browser, Escape closes it.
import type { ReactNode } from 'react';
import { useModalDialog } from '../hooks/useModalDialog';

export function Dialog({ open, onClose, title, children, className }: { open: boolean; onClose(): void; title: string; children: ReactNode; className?: string }) {
  const ref = useModalDialog(open);
  return (
    <dialog ref={ref} className={`dialog ${className ?? ''}`} onClose={onClose} aria-labelledby={`${title}-title`.replace(/\W+/g, '-')}>
      {open ? (
        <>
          <header className="dialog-header">
            <h2 id={`${title}-title`.replace(/\W+/g, '-')}>{title}</h2>
            <button type="button" className="icon" aria-label="Close" onClick={onClose}>
              ×
            </button>
          </header>
          <div className="dialog-body">{children}</div>
        </>
      ) : null}
    </dialog>
  );
}
