// One specimen: the full image (with the slot for the CBAM attention overlay), its label, editable metadata,
// facts about the file, the models' predictions and the label history.
import { useEffect, useRef, useState, type CSSProperties } from 'react';
import type { SpecimenDetail } from '../../shared/ipc';
import { useApp } from '../app/state';
import { call, errorMessage, imageUrl } from '../api';
import { classColor, formatBytes, formatPercent, formatTime } from '../lib/format';

interface Draft {
  sampleCode: string;
  site: string;
  notes: string;
  flagged: boolean;
}

const draftOf = (d: SpecimenDetail): Draft => ({
  sampleCode: d.specimen.sampleCode ?? '',
  site: d.specimen.site ?? '',
  notes: d.specimen.notes ?? '',
  flagged: d.specimen.flagged,
});

export function DetailPanel({ specimenId, onClose }: { specimenId: number; onClose(): void }) {
  const { catalogue, classes, version, invalidate, notify } = useApp();
  const [detail, setDetail] = useState<SpecimenDetail | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [draft, setDraft] = useState<Draft | null>(null);
  const [saving, setSaving] = useState(false);
  const [zoom, setZoom] = useState(false);
  const zoomRef = useRef<HTMLDialogElement>(null);

  useEffect(() => {
    let live = true;
    call('specimens.get', { id: specimenId })
      .then((d) => {
        if (!live) return;
        setDetail(d);
        setError(null);
      })
      .catch((err: unknown) => live && setError(errorMessage(err)));
    return () => {
      live = false;
    };
  }, [specimenId, version]);

  // A new specimen starts from its saved values; a refetch of the same one keeps unsaved edits.
  const loadedId = detail?.specimen.id;
  useEffect(() => {
    if (detail) setDraft(draftOf(detail));
  }, [loadedId]); // not `detail`: a refetch must not wipe unsaved edits

  useEffect(() => {
    const d = zoomRef.current;
    if (!d) return;
    if (zoom && !d.open) d.showModal();
    if (!zoom && d.open) d.close();
  }, [zoom]);

  if (error) return <aside className="detail-panel"><p className="error-text">{error}</p></aside>;
  if (!detail || !draft || !catalogue) return <aside className="detail-panel" aria-busy="true" />;
  const s = detail.specimen;
  const saved = draftOf(detail);
  const dirty = JSON.stringify(saved) !== JSON.stringify(draft);

  const save = async () => {
    setSaving(true);
    try {
      await call('specimens.update', { id: s.id, patch: { sampleCode: draft.sampleCode, site: draft.site, notes: draft.notes, flagged: draft.flagged } });
      notify('Metadata saved', 'success');
      invalidate();
    } catch (err) {
      notify(errorMessage(err), 'error');
    } finally {
      setSaving(false);
    }
  };

  const relabel = async (value: string) => {
    try {
      const classId = value === '' ? null : Number(value);
      const r = await call('labels.assign', { specimenIds: [s.id], classId });
      if (r.changed) notify(`Label changed (undo on the Labeling page or with z)`, 'success');
      invalidate();
    } catch (err) {
      notify(errorMessage(err), 'error');
    }
  };

  const full = imageUrl('full', s.id, catalogue.key);
  return (
    <aside className="detail-panel" aria-label="Specimen details">
      <header className="panel-header">
        <h2 title={s.originalName}>{s.sampleCode ?? s.originalName}</h2>
        <button type="button" className="icon" aria-label="Close details" onClick={onClose}>
          ×
        </button>
      </header>
      <div className="detail-body">
        <button type="button" className="detail-image" onClick={() => setZoom(true)} aria-label="Show the image larger">
          <img src={full} alt={`Photo of ${s.originalName}`} />
          {/* The CBAM attention overlay goes on top of the image once a model provides it (detail.attention). */}
        </button>
        <div className="attention-slot">
          <label className="check disabled" title="Available once a model with CBAM has classified this specimen">
            <input type="checkbox" disabled checked={false} readOnly /> Attention overlay (CBAM)
          </label>
          <span className="hint">appears once a trained model has classified this specimen</span>
        </div>

        <section className="detail-section">
          <label htmlFor="detail-label" className="field-label">
            Label
          </label>
          <select id="detail-label" value={s.labelClassId === null ? '' : String(s.labelClassId)} onChange={(e) => void relabel(e.target.value)}>
            <option value="">Unlabeled</option>
            {(classes ?? []).map((c) => (
              <option key={c.id} value={String(c.id)}>
                {c.name}
              </option>
            ))}
          </select>
        </section>

        <form
          className="detail-section form-grid"
          onSubmit={(e) => {
            e.preventDefault();
            void save();
          }}
        >
          <label htmlFor="detail-code">Sample code</label>
          <input id="detail-code" value={draft.sampleCode} maxLength={200} onChange={(e) => setDraft({ ...draft, sampleCode: e.target.value })} />
          <label htmlFor="detail-site">Site</label>
          <input id="detail-site" value={draft.site} maxLength={500} onChange={(e) => setDraft({ ...draft, site: e.target.value })} />
          <label htmlFor="detail-notes">Notes</label>
          <textarea id="detail-notes" rows={3} value={draft.notes} maxLength={10000} onChange={(e) => setDraft({ ...draft, notes: e.target.value })} />
          <span />
          <label className="check">
            <input type="checkbox" checked={draft.flagged} onChange={(e) => setDraft({ ...draft, flagged: e.target.checked })} /> Flag for expert review
          </label>
          <span />
          <div className="button-row">
            <button type="submit" className="primary" disabled={!dirty || saving}>
              {saving ? 'Saving…' : 'Save'}
            </button>
            <button type="button" disabled={!dirty || saving} onClick={() => setDraft(saved)}>
              Revert
            </button>
          </div>
        </form>

        <section className="detail-section">
          <h3>File</h3>
          <dl className="facts">
            <dt>Name</dt>
            <dd>{s.originalName}</dd>
            <dt>Size</dt>
            <dd>
              {s.width} × {s.height} px · {s.format.toUpperCase()} · {formatBytes(s.byteSize)}
            </dd>
            <dt>Taken</dt>
            <dd>{s.exifDate ? formatTime(s.exifDate) : '—'}</dd>
            <dt>Imported</dt>
            <dd>{formatTime(s.importedAt)}</dd>
            <dt>Split</dt>
            <dd>{s.split ?? 'none yet'}</dd>
            <dt>SHA-256</dt>
            <dd className="mono" title={s.sha256}>
              {s.sha256.slice(0, 16)}…
            </dd>
            <dt>Path</dt>
            <dd className="path">{s.path}</dd>
          </dl>
        </section>

        <section className="detail-section">
          <h3>Predictions</h3>
          {detail.predictions.length === 0 ? (
            <p className="muted">No model has classified this specimen yet.</p>
          ) : (
            <table className="compact">
              <thead>
                <tr>
                  <th>Model</th>
                  <th>Prediction</th>
                  <th className="num">Confidence</th>
                </tr>
              </thead>
              <tbody>
                {detail.predictions.map((p) => (
                  <tr key={p.modelId}>
                    <td>{p.modelName}</td>
                    <td>{p.predictedClass}</td>
                    <td className="num">{formatPercent(p.confidence)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </section>

        <section className="detail-section">
          <h3>Label history</h3>
          {detail.history.length === 0 ? (
            <p className="muted">Never labeled.</p>
          ) : (
            <ol className="history" reversed>
              {[...detail.history].reverse().map((h) => (
                <li key={h.id}>
                  <span className="history-change">
                    <LabelName name={h.from} /> → <LabelName name={h.to} />
                  </span>
                  <span className="muted">
                    {h.source === 'folder' ? 'from import folder' : h.source === 'undo' ? 'undo' : h.source === 'model' ? 'accepted prediction' : 'by hand'} ·{' '}
                    {formatTime(h.at)}
                  </span>
                </li>
              ))}
            </ol>
          )}
        </section>
      </div>
      <dialog ref={zoomRef} className="zoom-dialog" onClose={() => setZoom(false)} onClick={() => setZoom(false)} aria-label="Full image">
        {zoom ? <img src={full} alt={`Photo of ${s.originalName}, full size`} /> : null}
      </dialog>
    </aside>
  );
}

function LabelName({ name }: { name: string | null }) {
  const { classes } = useApp();
  const cls = classes?.find((c) => c.name === name);
  return name === null ? (
    <span className="muted">unlabeled</span>
  ) : (
    <span className="chip" style={{ '--chip': classColor(cls?.id ?? null) } as CSSProperties}><span className="chip-text">{name}</span></span>
  );
}
