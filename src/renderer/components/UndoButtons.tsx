// The Undo and Redo buttons of a page that changes labels (hooks/useLabelUndo.ts), with what each would do.
// A change not made on this page is named as such: its button asks before it reverts anything.
import type { LabelUndo } from '../hooks/useLabelUndo';

export function UndoButtons({ undo, after }: { undo: LabelUndo; /** Where the keyboard goes next (the page's list or grid). */ after?(): void }) {
  const press = (action: () => Promise<void>) => () => {
    void action();
    after?.();
  };
  const { nextUndo, nextRedo } = undo;
  let what = 'nothing to undo';
  if (nextUndo) what = nextUndo.here ? `z would undo: ${nextUndo.effect.description}` : `last change, not made on this page (asks first): ${nextUndo.effect.description}`;
  return (
    <div className="undo-row">
      <button type="button" disabled={!nextUndo} onClick={press(undo.undoAny)} aria-keyshortcuts="z">
        Undo <kbd>z</kbd>
      </button>
      <button type="button" disabled={!nextRedo} onClick={press(undo.redoAny)} aria-keyshortcuts="Shift+Z" title={nextRedo ? `redo: ${nextRedo.effect.description}` : 'nothing to redo'}>
        Redo <kbd>shift+z</kbd>
      </button>
      <span className="muted undo-what" title={nextUndo?.effect.description}>
        {what}
      </span>
    </div>
  );
}
