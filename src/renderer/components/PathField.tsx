// A path the user types, with a native picker next to it in the desktop app (the harness has none: paths are
// typed there). `kind` says which dialog: a folder to read, or a file to save.
import { useApp } from '../app/state';
import { call, errorMessage } from '../api';

interface Props {
  id: string;
  label: string;
  value: string;
  onChange(value: string): void;
  kind: 'folder' | 'save';
  placeholder?: string;
  disabled?: boolean;
}

export function PathField({ id, label, value, onChange, kind, placeholder, disabled }: Props) {
  const { app, notify } = useApp();
  const choose = async () => {
    try {
      const r = kind === 'folder' ? await call('dialog.chooseFolder', { title: label }) : await call('dialog.saveFile', { title: label, ...(value ? { defaultPath: value } : {}) });
      if (r.path) onChange(r.path);
    } catch (err) {
      notify(errorMessage(err), 'error');
    }
  };
  return (
    <div className="inline-form path-field">
      <input id={id} className="grow" value={value} placeholder={placeholder} spellCheck={false} disabled={disabled} onChange={(e) => onChange(e.target.value)} />
      {app?.capabilities.nativeDialogs ? (
        <button type="button" onClick={() => void choose()} disabled={disabled} aria-label={`Choose: ${label}`}>
          Choose…
        </button>
      ) : null}
    </div>
  );
}
