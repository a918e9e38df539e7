// One specimen: the full image with the CBAM gate overlay of an MA-ViT model (toggle, opacity), its label,
// editable metadata, facts about the file, the models' predictions and the label history. The label is set on
// an explicit choice only (Enter, or a click in the list): arrows and type-ahead in the closed list just
// choose. z undoes a label set here, shift+z redoes it, as on Labeling (outside the text fields).
import { useEffect, useRef, useState, type CSSProperties, type KeyboardEvent } from 'react';
import type { ResponseOf, SpecimenDetail } from '../../shared/ipc';
import { useApp } from '../app/state';
import { call, errorMessage, imageUrl } from '../api';
import { useModalDialog } from '../hooks/useModalDialog';
import type { LabelUndo } from '../hooks/useLabelUndo';
import { UndoButtons } from './UndoButtons';
import { useRequest } from '../hooks/useRequest';
import { classColor, formatBytes, formatPercent, formatTime } from '../lib/format';
import { formatGate, gateLegendGradient, gatePixels, gateRange, GATE_SCALE_MAX, GATE_SCALE_MIN, nearUnity } from '../lib/gate-colour';

type Attention = ResponseOf<'attention.get'>;

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

export function DetailPanel({ specimenId, onClose, undo }: { specimenId: number; onClose(): void; undo: LabelUndo }) {
  const { catalogue, classes, version, invalidate, notify } = useApp();
  const { data: detail, error } = useRequest('specimens.get', { id: specimenId }, [specimenId, version]);
  const [draft, setDraft] = useState<Draft | null>(null);
  const [saving, setSaving] = useState(false);
  const [zoom, setZoom] = useState(false);
  const zoomRef = useModalDialog(zoom);
  const [overlay, setOverlay] = useState(false);
  const [opacity, setOpacity] = useState(55);
  const [attentionModel, setAttentionModel] = useState('');
  // The class chosen in the Label list but not set yet (null: none), and whether the list's last change came
  // from a key (an arrow, type-ahead) rather than a pick in the open list.
  const [chosenLabel, setChosenLabel] = useState<string | null>(null);
  const labelKeyDown = useRef(false);

  // A new specimen starts from its saved values; a refetch of the same one keeps unsaved edits.
  const loadedId = detail?.specimen.id;
  useEffect(() => {
    if (detail) setDraft(draftOf(detail));
    // eslint-disable-next-line react-hooks/exhaustive-deps -- keyed on the id on purpose: a refetch of the same specimen must not wipe unsaved edits
  }, [loadedId]); // not `detail`: a refetch must not wipe unsaved edits
  // Another specimen, or a label saved (here or elsewhere): nothing chosen is pending any more.
  const savedLabelId = detail?.specimen.labelClassId;
  useEffect(() => setChosenLabel(null), [loadedId, savedLabelId]);

  const attentionModels = detail?.attention ?? [];
  const chosenModel = attentionModels.some((m) => m.id === attentionModel) ? attentionModel : (attentionModels[0]?.id ?? '');
  // Cleared on every change: another model's or specimen's map must never lie over this image.
  const attentionRequest = overlay && chosenModel ? { specimenId, modelId: chosenModel } : null;
  const { data: attention, error: attentionError } = useRequest('attention.get', attentionRequest, [overlay, chosenModel, specimenId], { clearWhileLoading: true });

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
      undo.record(r.opId);
      const name = (classes ?? []).find((c) => c.id === classId)?.name;
      if (r.changed) notify(`${s.sampleCode ?? s.originalName} ${name ? `labeled ${name}` : 'unlabeled'} (z undoes)`, 'success');
      invalidate();
    } catch (err) {
      notify(errorMessage(err), 'error');
    }
  };

  const savedLabel = s.labelClassId === null ? '' : String(s.labelClassId);
  const shownLabel = chosenLabel ?? savedLabel;
  const pendingName = chosenLabel === null || chosenLabel === savedLabel ? null : ((classes ?? []).find((c) => String(c.id) === chosenLabel)?.name ?? 'Unlabeled');
  const onLabelKeyDown = (e: KeyboardEvent<HTMLSelectElement>) => {
    if (e.key === 'Enter') {
      e.preventDefault();
      if (pendingName !== null) void relabel(chosenLabel!);
    } else if (e.key === 'Escape' && pendingName !== null) {
      // Keeps the label (and the panel open): the choice is dropped.
      e.preventDefault();
      e.stopPropagation();
      setChosenLabel(null);
    } else labelKeyDown.current = true;
  };
  // z and shift+z anywhere in the panel but where they are typed (the text fields).
  const onPanelKeyDown = (e: KeyboardEvent<HTMLElement>) => {
    const typing = e.target instanceof HTMLTextAreaElement || (e.target instanceof HTMLInputElement && e.target.type !== 'checkbox' && e.target.type !== 'range');
    if (typing || e.ctrlKey || e.metaKey || e.altKey || e.key.toLowerCase() !== 'z') return;
    e.preventDefault();
    void (e.shiftKey ? undo.redoHere() : undo.undoHere());
  };

  const full = imageUrl('full', s.id, catalogue.key);
  return (
    <aside className="detail-panel" aria-label="Specimen details" onKeyDown={onPanelKeyDown}>
      <header className="panel-header">
        <h2 title={s.originalName}>{s.sampleCode ?? s.originalName}</h2>
        <button type="button" className="icon" aria-label="Close details" onClick={onClose}>
          ×
        </button>
      </header>
      <div className="detail-body">
        <button type="button" className="detail-image" onClick={() => setZoom(true)} aria-label="Show the image larger">
          <img src={full} alt={`Photo of ${s.originalName}`} />
          {overlay && attention ? <AttentionOverlay attention={attention} width={s.width} height={s.height} opacity={opacity / 100} faint={nearUnity(gateRange(attention.gate))} /> : null}
        </button>
        <div className="attention-slot">
          {attentionModels.length === 0 ? (
            <>
              <label className="check disabled" title="Available once an MA-ViT model exists in this catalogue">
                <input type="checkbox" disabled checked={false} readOnly /> Attention overlay (CBAM)
              </label>
              <span className="hint">appears once an MA-ViT model has been trained or added</span>
            </>
          ) : (
            <>
              <div className="attention-controls">
                <label className="check">
                  <input type="checkbox" checked={overlay} onChange={(e) => setOverlay(e.target.checked)} /> Attention overlay (CBAM)
                </label>
                <label className="opacity" title="Overlay opacity">
                  <span className="visually-hidden">Overlay opacity</span>
                  <input type="range" min={10} max={100} step={5} value={opacity} disabled={!overlay} aria-label="Overlay opacity" onChange={(e) => setOpacity(Number(e.target.value))} />
                </label>
              </div>
              {attentionModels.length > 1 ? (
                <select aria-label="Attention of model" value={chosenModel} onChange={(e) => setAttentionModel(e.target.value)}>
                  {attentionModels.map((m) => (
                    <option key={m.id} value={m.id}>
                      {m.name}
                    </option>
                  ))}
                </select>
              ) : null}
              {overlay && attention ? <GateLegend attention={attention} /> : null}
              {overlay && !attention && !attentionError ? <span className="hint">computing the attention map…</span> : null}
              {attentionError ? <span className="error-text small">{attentionError}</span> : null}
            </>
          )}
        </div>

        <section className="detail-section">
          <label htmlFor="detail-label" className="field-label">
            Label
          </label>
          <select
            id="detail-label"
            value={shownLabel}
            aria-describedby="detail-label-hint"
            onKeyDown={onLabelKeyDown}
            onKeyUp={() => (labelKeyDown.current = false)}
            onBlur={() => setChosenLabel(null)}
            onChange={(e) => {
              // A key only chooses; a pick in the open list (a click, or Enter there) sets the label.
              if (labelKeyDown.current) setChosenLabel(e.target.value);
              else void relabel(e.target.value);
              labelKeyDown.current = false;
            }}
          >
            <option value="">Unlabeled</option>
            {(classes ?? []).map((c) => (
              <option key={c.id} value={String(c.id)}>
                {c.name}
              </option>
            ))}
          </select>
          <p id="detail-label-hint" className="hint" aria-live="polite">
            {pendingName === null ? 'Choose a class, then Enter sets it' : `Enter sets ${pendingName} (Escape keeps ${s.label ?? 'unlabeled'})`}
          </p>
          <UndoButtons undo={undo} />
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
                  <tr key={p.modelId} title={Object.entries(p.probabilities).map(([c, v]) => `${c} ${formatPercent(v)}`).join(', ')}>
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
                    {h.from === h.to ? (
                      <>
                        <LabelName name={h.to} /> <span className="muted">reviewed</span>
                      </>
                    ) : (
                      <>
                        <LabelName name={h.from} /> → <LabelName name={h.to} />
                      </>
                    )}
                  </span>
                  <span className="muted">
                    {h.source === 'folder' ? 'from import folder' : h.source === 'undo' ? 'undo' : h.source === 'model' ? 'accepted prediction' : h.from === h.to ? h.description : 'by hand'} ·{' '}
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

/**
 * What the overlay shows, in words: the applied gate on its fixed scale, the photo's actual range, the sentence
 * when CBAM barely touches the photo, and that the channel gate is not drawn.
 */
function GateLegend({ attention }: { attention: Attention }) {
  const range = gateRange(attention.gate);
  const gateFormula = attention.prefilter === 'cbam-residual' ? '2σ(z), residual gate' : 'σ(z), plain gate';
  return (
    <div className="attention-legend small" data-testid="attention-legend">
      {nearUnity(range) ? (
        <p className="gate-unchanged">
          CBAM leaves this photo almost unchanged:{' '}
          {formatGate(range.min) === formatGate(range.max)
            ? `its gate is ${formatGate(range.min)} everywhere.`
            : `its gate stays within ${formatGate(range.min)}–${formatGate(range.max)}.`}
        </p>
      ) : null}
      <p className="gate-scale">
        <span className="gate-scale-end">{GATE_SCALE_MIN} dims</span>
        <span className="legend-gate" aria-hidden="true">
          <span style={{ background: gateLegendGradient() }} />
        </span>
        <span className="gate-scale-end">{GATE_SCALE_MAX} brightens</span>
      </p>
      <p>
        The spatial gate the model multiplies each pixel by ({gateFormula}) over the centre square it sees, on a fixed scale: 1 = no change
        (clear), {GATE_SCALE_MIN}–{GATE_SCALE_MAX}, clamped beyond. This photo: {formatGate(range.min)}–{formatGate(range.max)}.
        {attention.channelGate ? null : ' The channel gate is not shown yet (the model file does not output it).'} It predicts{' '}
        <strong>{attention.predictedClass}</strong> ({formatPercent(attention.confidence)}).
      </p>
    </div>
  );
}

/**
 * The gate on a canvas over the part of the photo the model saw (its centre crop), placed from the photo's size
 * and the image box: the photo is drawn with object-fit: contain, so its box is computed here. Each value keeps
 * its place on the fixed scale (lib/gate-colour.ts); `faint` when the whole map is within ±2% of 1.
 */
function AttentionOverlay({ attention, width, height, opacity, faint }: { attention: Attention; width: number; height: number; opacity: number; faint: boolean }) {
  const canvasRef = useRef<HTMLCanvasElement>(null);
  const boxRef = useRef<HTMLSpanElement>(null);
  const [box, setBox] = useState<{ w: number; h: number } | null>(null);
  useEffect(() => {
    const el = boxRef.current?.parentElement;
    if (!el) return;
    const measure = () => setBox({ w: el.clientWidth, h: el.clientHeight });
    measure();
    const ro = new ResizeObserver(measure);
    ro.observe(el);
    return () => ro.disconnect();
  }, []);
  useEffect(() => {
    const canvas = canvasRef.current;
    const ctx = canvas?.getContext('2d');
    if (!canvas || !ctx) return;
    ctx.putImageData(new ImageData(gatePixels(attention.gate, attention.size), attention.size, attention.size), 0, 0);
  }, [attention]);
  let style: CSSProperties = { display: 'none' };
  if (box && width > 0 && height > 0) {
    const scale = Math.min(box.w / width, box.h / height);
    const left = (box.w - width * scale) / 2 + attention.crop.left * width * scale;
    const top = (box.h - height * scale) / 2 + attention.crop.top * height * scale;
    style = { left, top, width: attention.crop.width * width * scale, height: attention.crop.height * height * scale, opacity };
  }
  return (
    <span ref={boxRef} className="attention-layer" aria-hidden="true">
      <canvas ref={canvasRef} className={faint ? 'attention-canvas faint' : 'attention-canvas'} width={attention.size} height={attention.size} style={style} data-testid="attention-overlay" />
    </span>
  );
}
