// The paired comparison under two reports side by side (reports.compare, what `orelab compare` prints): both on
// the photos both predicted, the difference A − B of accuracy and macro F1 with its paired bootstrap interval,
// McNemar's exact test, a reading in plain words, and the photos one got right and the other wrong.
import { useState } from 'react';
import type { CompareResult, RequestOf } from '../../shared/ipc';
import { useApp } from '../app/state';
import { imageUrl } from '../api';
import { useRequest } from '../hooks/useRequest';
import { formatCount, formatPValue, formatSigned, intervalContainsZero, plural, type Interval } from '../lib/format';
import { Dialog } from './Dialog';
import { WithInterval } from './Interval';

type Discordant = CompareResult['discordant'][number];
type Difference = CompareResult['difference']['accuracy'];

/** Thumbnails shown before "Show all": a comparison of two weak models can disagree on hundreds. */
const FIRST_THUMBNAILS = 48;

/** A difference in percentage points (accuracy) or in F1 (macro F1), signed. */
function formatDifference(x: number, metric: 'accuracy' | 'macro_f1'): string {
  return metric === 'accuracy' ? `${formatSigned(x * 100, 1)} points` : formatSigned(x, 3);
}
function formatDifferenceInterval([lo, hi]: Interval, metric: 'accuracy' | 'macro_f1'): string {
  return `95% CI ${formatDifference(lo, metric)} to ${formatDifference(hi, metric)}`;
}

/** What the interval of A − B says, in words. */
function reading(what: string, d: Difference): string {
  if (intervalContainsZero(d.ci)) return `${what}: no evidence of a difference at this sample size (the 95% interval of A − B contains 0).`;
  return `${what}: ${d.ci[0] > 0 ? 'A' : 'B'} is better (the 95% interval of A − B lies ${d.ci[0] > 0 ? 'above' : 'below'} 0).`;
}

export function CompareView({ params, aLabel, bLabel, sourceLabel }: { params: RequestOf<'reports.compare'>; aLabel: string; bLabel: string; sourceLabel: string }) {
  const { version } = useApp();
  const source = params.source.kind === 'split' ? params.source.split : 'cv';
  // Cleared while a new pair loads: the old pair's verdict under the new pair's names would mislead.
  const { data: result, error } = useRequest('reports.compare', params, [params.a, params.b, source, version], { clearWhileLoading: true });
  return (
    <section className="card-panel compare-panel" aria-labelledby="compare-title" aria-busy={!result && !error}>
      <h2 id="compare-title">Paired comparison: is A better than B?</h2>
      <dl className="compare-sides">
        <dt>A</dt>
        <dd>{aLabel}</dd>
        <dt>B</dt>
        <dd>{bLabel}</dd>
      </dl>
      {error ? <p className="error-text">Not compared: {error}</p> : null}
      {result ? <CompareResultView result={result} sourceLabel={sourceLabel} aLabel={aLabel} bLabel={bLabel} /> : null}
    </section>
  );
}

function CompareResultView({ result, sourceLabel, aLabel, bLabel }: { result: CompareResult; sourceLabel: string; aLabel: string; bLabel: string }) {
  const { b, c, p_value } = result.mcnemar;
  const rows = [
    { metric: 'accuracy' as const, name: 'Accuracy', kind: 'percent' as const },
    { metric: 'macro_f1' as const, name: 'Macro F1', kind: 'decimal' as const },
  ];
  return (
    <>
      <p className="muted small compare-basis">
        On the {plural(result.n, 'labeled photo')} both predicted ({sourceLabel}), resampled {formatCount(result.resamples)} times in {plural(result.groups, 'photo group')} (the
        photos of one rock count once)
        {result.skipped > 0 ? `; ${plural(result.skipped, 'photo')} left out (a label one side does not know)` : ''}
        {result.unpaired > 0 ? `; ${plural(result.unpaired, 'photo')} only one side predicted, not compared` : ''}.
      </p>
      <div className="compare-scroll">
        <table className="data-table compare-table">
          <thead>
            <tr>
              <th scope="col">Metric</th>
              <th scope="col">A</th>
              <th scope="col">B</th>
              <th scope="col">Difference A − B</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((r) => {
              const d = result.difference[r.metric];
              return (
                <tr key={r.metric} data-metric={r.metric}>
                  <th scope="row">{r.name}</th>
                  <td>
                    <WithInterval value={result.a[r.metric]} ci={result.a[`${r.metric}_ci`]} kind={r.kind} />
                  </td>
                  <td>
                    <WithInterval value={result.b[r.metric]} ci={result.b[`${r.metric}_ci`]} kind={r.kind} />
                  </td>
                  <td className="difference">
                    {formatDifference(d.estimate, r.metric)} ({formatDifferenceInterval(d.ci, r.metric)})
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
      <ul className="compare-reading">
        <li>{reading('Accuracy', result.difference.accuracy)}</li>
        <li>{reading('Macro F1', result.difference.macro_f1)}</li>
        <li className="mcnemar">
          McNemar&apos;s exact test: {plural(b, 'photo')} only A got right, {plural(c, 'photo')} only B got right; {formatPValue(p_value)}
          {p_value < 0.05 ? ', more one-sided than chance would make it at the 5% level.' : ', a split that chance alone makes often (not significant at the 5% level).'}
        </li>
      </ul>
      <DiscordantPhotos items={result.discordant} aLabel={aLabel} bLabel={bLabel} />
    </>
  );
}

/** "right" / "wrong" in words beside the mark: the mark's colour is never the only signal. */
const verdict = (predicted: string, label: string) => (predicted.toLowerCase() === label.toLowerCase() ? 'right' : 'wrong');

function DiscordantPhotos({ items, aLabel, bLabel }: { items: Discordant[]; aLabel: string; bLabel: string }) {
  const { catalogue } = useApp();
  const [showAll, setShowAll] = useState(false);
  const [open, setOpen] = useState<Discordant | null>(null);
  if (!catalogue) return null;
  const shown = showAll ? items : items.slice(0, FIRST_THUMBNAILS);
  const describe = (s: Discordant) => `Photo labeled ${s.label}: A predicted ${s.a_predicted} (${verdict(s.a_predicted, s.label)}), B predicted ${s.b_predicted} (${verdict(s.b_predicted, s.label)})`;
  return (
    <div className="discordant">
      <h3 id="discordant-title">
        Discordant photos <span className="muted">· {plural(items.length, 'photo')} one got right and the other wrong</span>
      </h3>
      {items.length === 0 ? <p className="muted">None: the two are right and wrong on the same photos.</p> : null}
      <ul className="thumb-strip discordant-strip" aria-labelledby="discordant-title">
        {shown.map((s) => (
          <li key={s.id} className="thumb-card discordant-card" data-specimen-id={s.id}>
            <button type="button" className="discordant-open" onClick={() => setOpen(s)} aria-haspopup="dialog" aria-label={`${describe(s)}. Open it larger`}>
              <img src={imageUrl('thumb', s.id, catalogue.key)} alt={describe(s)} />
              <span className="thumb-name">label {s.label}</span>
              <Prediction side="A" predicted={s.a_predicted} label={s.label} />
              <Prediction side="B" predicted={s.b_predicted} label={s.label} />
            </button>
          </li>
        ))}
      </ul>
      {items.length > shown.length ? (
        <button type="button" className="show-all" onClick={() => setShowAll(true)}>
          Show all {formatCount(items.length)} discordant photos
        </button>
      ) : null}
      <Dialog open={open !== null} onClose={() => setOpen(null)} title="Discordant photo" className="discordant-dialog">
        {open ? (
          <figure className="discordant-figure">
            <img src={imageUrl('full', open.id, catalogue.key)} alt={describe(open)} />
            <figcaption>
              <p>
                Labeled <span className="chip-inline">{open.label}</span>
              </p>
              <p>
                A ({aLabel}): <Prediction predicted={open.a_predicted} label={open.label} />
              </p>
              <p>
                B ({bLabel}): <Prediction predicted={open.b_predicted} label={open.label} />
              </p>
              <p className="mono small path-line">{open.path}</p>
            </figcaption>
          </figure>
        ) : null}
      </Dialog>
    </div>
  );
}

/** "A: pyrite ✓ (right)"; without `side` where the line already names it. */
function Prediction({ side, predicted, label }: { side?: 'A' | 'B'; predicted: string; label: string }) {
  const right = verdict(predicted, label) === 'right';
  return (
    <span className={`discordant-prediction ${right ? 'right' : 'wrong'}`}>
      {side ? `${side}: ` : ''}
      {predicted} <span aria-hidden="true">{right ? '✓' : '✗'}</span>
      <span className="visually-hidden">({right ? 'right' : 'wrong'})</span>
    </span>
  );
}
