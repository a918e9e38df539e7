// The parts both Relabel sources show: every class's probability as bars (the label's bar green), and a
// specimen's label history.
import type { SpecimenDetail } from '../../shared/ipc';
import { formatPercent, formatTime } from '../lib/format';

export function ProbabilityBars({ classes, probabilities, label }: { classes: string[]; probabilities: number[]; label: string | null }) {
  const order = classes.map((c, i) => ({ c, p: probabilities[i] ?? 0 })).sort((a, b) => b.p - a.p);
  return (
    <table className="probability-bars" aria-label="Probability of each class">
      <tbody>
        {order.map(({ c, p }) => (
          <tr key={c} data-class={c} className={label?.toLowerCase() === c.toLowerCase() ? 'is-label' : undefined}>
            <th scope="row">{c}</th>
            <td className="bar-cell">
              <span className="bar" style={{ width: `${Math.max(0.5, p * 100)}%` }} />
            </td>
            <td className="num">{formatPercent(p)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export function History({ detail }: { detail: SpecimenDetail | null }) {
  if (!detail) return null;
  return (
    <section className="relabel-history" aria-label="Label history">
      <h3>Label history</h3>
      <ol className="history" reversed>
        {[...detail.history].reverse().map((h) => (
          <li key={h.id} data-source={h.source}>
            <span className="history-change">
              {h.from === h.to ? <>{h.to ?? 'unlabeled'} (unchanged)</> : <>{h.from ?? 'unlabeled'} → {h.to ?? 'unlabeled'}</>}
            </span>
            <span className="muted small">
              {h.description} · {formatTime(h.at)}
            </span>
          </li>
        ))}
      </ol>
    </section>
  );
}
