// Open or create a catalogue file: native dialogs in the desktop app, a typed path in the harness.
import { useState, type FormEvent } from 'react';
import { useApp } from '../app/state';
import { call, errorMessage } from '../api';
import { Dialog } from './Dialog';

export function CatalogueForm({ onDone }: { onDone(): void }) {
  const { app, catalogue, jobs, setCatalogue } = useApp();
  const [path, setPath] = useState('');
  const [error, setError] = useState<string | null>(null);
  const busy = [...jobs.values()].some((j) => j.status === 'running');

  const open = async (file: string, create: boolean) => {
    setError(null);
    try {
      const r = await call('catalogue.open', { path: file, create });
      setCatalogue(r.catalogue);
      onDone();
    } catch (err) {
      setError(errorMessage(err));
    }
  };
  const native = async (mode: 'open' | 'create') => {
    try {
      const r = await call('dialog.chooseCatalogue', { mode });
      if (r.path) await open(r.path, mode === 'create');
    } catch (err) {
      setError(errorMessage(err));
    }
  };
  const submit = (create: boolean) => (e?: FormEvent) => {
    e?.preventDefault();
    void open(path.trim(), create);
  };

  return (
    <div className="stack">
      {catalogue ? (
        <p>
          Open now: <span className="path">{catalogue.path}</span>
        </p>
      ) : null}
      {busy ? <p className="warning">A job is running: wait for it, or stop it, before switching catalogues.</p> : null}
      {app?.capabilities.nativeDialogs ? (
        <div className="button-row">
          <button type="button" className="primary" onClick={() => void native('open')} disabled={busy}>
            Open catalogue…
          </button>
          <button type="button" onClick={() => void native('create')} disabled={busy}>
            New catalogue…
          </button>
        </div>
      ) : null}
      <form onSubmit={submit(false)} className="stack">
        <label htmlFor="catalogue-path" className="field-label">
          Catalogue file
        </label>
        <input id="catalogue-path" value={path} placeholder="/path/to/catalogue.sqlite" spellCheck={false} onChange={(e) => setPath(e.target.value)} />
        <div className="button-row">
          <button type="submit" disabled={busy || path.trim() === ''}>
            Open
          </button>
          <button type="button" disabled={busy || path.trim() === ''} onClick={() => submit(true)()}>
            Create new
          </button>
        </div>
      </form>
      {error ? <p className="error-text" role="alert">{error}</p> : null}
    </div>
  );
}

export function CatalogueDialog({ open, onClose }: { open: boolean; onClose(): void }) {
  return (
    <Dialog open={open} onClose={onClose} title="Catalogue">
      <CatalogueForm onDone={onClose} />
    </Dialog>
  );
}
