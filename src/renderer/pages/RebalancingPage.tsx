// Rebalancing: how imbalanced the labeled classes are, the class weights each strategy gives (the paper's
// inverse frequency W_i = N/(C·n_i) and Cui et al.'s effective number with an adjustable β), per-class split
// counts, warnings, the stratified split (a photo group kept whole), and the audit of photo groups across splits.
import { useMemo, useState, type CSSProperties, type FormEvent } from 'react';
import type { CatalogueStats } from '../../shared/domain';
import { effectiveNumberWeights, inverseFrequencyWeights, DEFAULT_EFFECTIVE_BETA } from '../../shared/weights';
import { rebalanceWarnings, MIN_TRAINING_IMAGES } from '../../shared/rebalance';
import { useApp } from '../app/state';
import { call, errorMessage } from '../api';
import { useRequest } from '../hooks/useRequest';
import { LeakAudit } from '../components/LeakAudit';
import { classColor, formatCount, formatPercent, plural } from '../lib/format';

type Basis = 'labeled' | 'train';

export function RebalancingPage() {
  const { catalogue, classes, version, invalidate, notify } = useApp();
  const { data: stats, error } = useRequest('catalogue.stats', {}, [version]);
  const [betaText, setBetaText] = useState(String(DEFAULT_EFFECTIVE_BETA));
  const [basisChoice, setBasisChoice] = useState<Basis | null>(null);
  const [seed, setSeed] = useState('0');
  const [ratios, setRatios] = useState({ train: '8', val: '1', test: '1' });
  const [running, setRunning] = useState(false);
  const [lastSplit, setLastSplit] = useState<string | null>(null);

  const beta = Number(betaText);
  const betaValid = betaText.trim() !== '' && Number.isFinite(beta) && beta >= 0 && beta < 1;
  const splitsAssigned = stats ? stats.splits.train + stats.splits.val + stats.splits.test > 0 : false;
  const basis: Basis = basisChoice ?? (splitsAssigned ? 'train' : 'labeled');
  const counts = useMemo(() => (stats ? stats.classes.map((c) => (basis === 'train' ? c.splits.train : c.count)) : []), [stats, basis]);
  const inverse = useMemo(() => inverseFrequencyWeights(counts), [counts]);
  const effective = useMemo(() => (betaValid ? effectiveNumberWeights(counts, beta) : null), [counts, beta, betaValid]);
  const warnings = useMemo(() => (stats ? rebalanceWarnings(stats) : []), [stats]);

  if (!catalogue) return null;
  if (error) return <div className="page page-padded error-text">{error}</div>;
  if (!stats) return <div className="page page-padded" aria-busy="true" />;

  const n = counts.reduce((a, b) => a + b, 0);
  const ratioValues = { train: Number(ratios.train), val: Number(ratios.val), test: Number(ratios.test) };
  const ratiosValid = Object.values(ratioValues).every((r) => Number.isFinite(r) && r >= 0) && ratioValues.train + ratioValues.val + ratioValues.test > 0;
  const seedValue = Number(seed);
  const seedValid = Number.isInteger(seedValue) && seedValue >= 0 && seedValue <= 2 ** 31 - 1;

  const runSplit = async (e: FormEvent) => {
    e.preventDefault();
    setRunning(true);
    try {
      const r = await call('splits.assign', { seed: seedValue, ratios: ratioValues });
      const text = `${plural(r.assigned, 'specimen')} assigned, ${formatCount(r.alreadyAssigned)} kept their split${r.unlabeled ? `, ${formatCount(r.unlabeled)} unlabeled left out` : ''}`;
      setLastSplit(text);
      notify(`Split done: ${text}`, 'success');
      invalidate();
    } catch (err) {
      notify(errorMessage(err), 'error');
    } finally {
      setRunning(false);
    }
  };

  return (
    <div className="page page-padded page-rebalancing">
      <header className="page-header">
        <p className="muted">
          Class balance of the labeled specimens, the loss weights that offset it, and the train / validation / test split.
        </p>
      </header>

      <div className="cards">
        <Card label="Labeled" value={formatCount(stats.labeled)} />
        <Card label="Classes" value={formatCount(stats.classCount)} />
        <Card label="Imbalance ratio" value={stats.imbalanceRatio > 0 ? `${stats.imbalanceRatio.toFixed(2)} ×` : '—'} />
        <Card label="Unlabeled" value={formatCount(stats.unlabeled)} />
        <Card label="Labeled, no split" value={formatCount(stats.splits.unassigned)} />
      </div>

      <section className="card-panel" aria-labelledby="warnings-title">
        <h2 id="warnings-title">Warnings</h2>
        {warnings.length === 0 ? (
          <p className="ok-text">No warnings: every class has at least {MIN_TRAINING_IMAGES} training images and appears in every split.</p>
        ) : (
          <ul className="warnings">
            {warnings.map((w, i) => (
              <li key={i} className={`warning warning-${w.kind}`}>
                {w.message}
              </li>
            ))}
          </ul>
        )}
      </section>

      <div className="two-columns">
        <section className="card-panel" aria-labelledby="chart-title">
          <h2 id="chart-title">Class distribution</h2>
          <DistributionChart stats={stats} />
        </section>
        <section className="card-panel" aria-labelledby="split-title">
          <h2 id="split-title">Stratified split</h2>
          <form className="split-form" onSubmit={(e) => void runSplit(e)}>
            <label htmlFor="split-seed">Seed</label>
            <input id="split-seed" type="number" min={0} step={1} value={seed} onChange={(e) => setSeed(e.target.value)} />
            <label htmlFor="ratio-train">Ratios</label>
            <span className="ratios">
              <input id="ratio-train" aria-label="Train ratio" type="number" min={0} value={ratios.train} onChange={(e) => setRatios({ ...ratios, train: e.target.value })} />
              :
              <input aria-label="Validation ratio" type="number" min={0} value={ratios.val} onChange={(e) => setRatios({ ...ratios, val: e.target.value })} />
              :
              <input aria-label="Test ratio" type="number" min={0} value={ratios.test} onChange={(e) => setRatios({ ...ratios, test: e.target.value })} />
              <span className="muted">train : val : test</span>
            </span>
            <span />
            <div>
              <button type="submit" className="primary" disabled={running || !ratiosValid || !seedValid || stats.splits.unassigned === 0} aria-describedby={!running && stats.splits.unassigned === 0 ? 'split-nothing' : undefined}>
                {running ? 'Assigning…' : 'Assign splits'}
              </button>
              {/* Only labeled specimens without a split are assigned: with none, the button says why it is off. */}
              {!running && stats.splits.unassigned === 0 ? (
                <span id="split-nothing" className="muted small">
                  {' '}
                  {stats.labeled === 0 ? 'Nothing to assign: no specimen is labeled yet.' : 'Nothing to assign: every labeled specimen has a split.'}
                </span>
              ) : null}
            </div>
          </form>
          <p className="muted small">
            Each class is split on its own at these ratios, in an order fixed by the seed, and a photo group (one rock: a shared sample code or
            near-duplicate photos) is kept whole in one split. Only labeled specimens without a split are assigned: existing assignments never
            move, so the test set stays the test set.
          </p>
          {lastSplit ? (
            <p className="ok-text split-result" role="status">
              {lastSplit}
            </p>
          ) : null}
        </section>
      </div>

      <LeakAudit />

      <section className="card-panel" aria-labelledby="weights-title">
        <div className="card-title-row">
          <h2 id="weights-title">Class weights</h2>
          <label htmlFor="weights-basis">Counts</label>
          <select id="weights-basis" value={basis} onChange={(e) => setBasisChoice(e.target.value as Basis)}>
            <option value="train">training split</option>
            <option value="labeled">all labeled</option>
          </select>
          <label htmlFor="weights-beta">β</label>
          <input
            id="weights-beta"
            className={betaValid ? 'beta' : 'beta invalid'}
            type="number"
            min={0}
            max={0.99999}
            step={0.001}
            value={betaText}
            aria-invalid={!betaValid}
            onChange={(e) => setBetaText(e.target.value)}
          />
        </div>
        <p className="muted small">
          Inverse frequency (the paper): W<sub>i</sub> = N / (C · n<sub>i</sub>) with N = {formatCount(n)} {basis === 'train' ? 'training' : 'labeled'} images
          and C = {stats.classCount} classes. Effective number (Cui et al. 2019): w<sub>i</sub> ∝ (1 − β) / (1 − β<sup>n<sub>i</sub></sup>), scaled to sum to C.
          {basis === 'train' && !splitsAssigned ? ' No split yet: every training count is 0.' : ''}
        </p>
        <div className="table-scroll">
          <table className="data-table weights-table">
            <thead>
              <tr>
                <th>Class</th>
                <th className="num">
                  n<sub>i</sub>
                </th>
                <th className="num">Share</th>
                <th className="num">Inverse frequency</th>
                <th className="num">Effective number (β = {betaValid ? beta : '?'})</th>
                <th className="num">
                  n<sub>max</sub> / n<sub>i</sub>
                </th>
              </tr>
            </thead>
            <tbody>
              {stats.classes.map((c, i) => {
                const ni = counts[i]!;
                const max = Math.max(...counts);
                const id = classes?.find((k) => k.name === c.name)?.id ?? null;
                return (
                  <tr key={c.name} data-class={c.name}>
                    <td>
                      <span className="chip" style={{ '--chip': classColor(id) } as CSSProperties}><span className="chip-text">{c.name}</span></span>
                    </td>
                    <td className="num count">{formatCount(ni)}</td>
                    <td className="num">{n > 0 ? formatPercent(ni / n) : '—'}</td>
                    <td className="num weight-inverse">{inverse[i]!.toFixed(3)}</td>
                    <td className="num weight-effective">{effective ? effective[i]!.toFixed(3) : '—'}</td>
                    <td className="num">{ni > 0 ? (max / ni).toFixed(2) : '—'}</td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      </section>

      <section className="card-panel" aria-labelledby="splits-title">
        <h2 id="splits-title">Split counts per class</h2>
        <div className="table-scroll">
          <table className="data-table split-table">
            <thead>
              <tr>
                <th>Class</th>
                <th className="num">Train</th>
                <th className="num">Validation</th>
                <th className="num">Test</th>
                <th className="num">No split</th>
                <th className="num">Labeled</th>
              </tr>
            </thead>
            <tbody>
              {stats.classes.map((c) => (
                <tr key={c.name} data-class={c.name}>
                  <td>{c.name}</td>
                  <td className={`num train${splitsAssigned && c.splits.train < MIN_TRAINING_IMAGES ? ' low' : ''}`}>{formatCount(c.splits.train)}</td>
                  <td className={`num val${splitsAssigned && c.splits.val === 0 ? ' low' : ''}`}>{formatCount(c.splits.val)}</td>
                  <td className={`num test${splitsAssigned && c.splits.test === 0 ? ' low' : ''}`}>{formatCount(c.splits.test)}</td>
                  <td className="num unassigned">{formatCount(c.splits.unassigned)}</td>
                  <td className="num total">{formatCount(c.count)}</td>
                </tr>
              ))}
            </tbody>
            <tfoot>
              <tr>
                <td>All classes</td>
                <td className="num">{formatCount(stats.splits.train)}</td>
                <td className="num">{formatCount(stats.splits.val)}</td>
                <td className="num">{formatCount(stats.splits.test)}</td>
                <td className="num">{formatCount(stats.splits.unassigned)}</td>
                <td className="num">{formatCount(stats.labeled)}</td>
              </tr>
            </tfoot>
          </table>
        </div>
      </section>
    </div>
  );
}

function Card({ label, value }: { label: string; value: string }) {
  return (
    <div className="stat-card">
      <div className="stat-value">{value}</div>
      <div className="stat-label">{label}</div>
    </div>
  );
}

const SEGMENTS = [
  { key: 'train', label: 'train', opacity: 1 },
  { key: 'val', label: 'validation', opacity: 0.62 },
  { key: 'test', label: 'test', opacity: 0.36 },
  { key: 'unassigned', label: 'no split', opacity: 0 },
] as const;

/** Horizontal bars, one per class, split into train / validation / test / no split. Plain SVG. */
function DistributionChart({ stats }: { stats: CatalogueStats }) {
  const { classes } = useApp();
  const rowH = 26;
  const labelW = 130;
  const barW = 360;
  const countW = 70;
  const max = Math.max(1, ...stats.classes.map((c) => c.count));
  const height = stats.classes.length * rowH + 6;
  if (stats.classes.length === 0) return <p className="muted">No classes yet.</p>;
  return (
    <figure className="chart">
      <svg viewBox={`0 0 ${labelW + barW + countW} ${height}`} role="img" aria-label="Labeled specimens per class, by split" className="distribution">
        {stats.classes.map((c, i) => {
          const y = i * rowH + 3;
          const color = classColor(classes?.find((k) => k.name === c.name)?.id ?? null);
          let x = labelW;
          return (
            <g key={c.name} data-class={c.name}>
              <text x={labelW - 8} y={y + rowH / 2} className="chart-label" textAnchor="end" dominantBaseline="middle">
                {c.name}
              </text>
              <rect x={labelW} y={y + 4} width={barW} height={rowH - 10} className="chart-track" />
              {SEGMENTS.map((s) => {
                const w = (c.splits[s.key] / max) * barW;
                const rect = (
                  <rect
                    key={s.key}
                    x={x}
                    y={y + 4}
                    width={w}
                    height={rowH - 10}
                    fill={color}
                    fillOpacity={s.key === 'unassigned' ? 0.14 : s.opacity}
                    stroke={s.key === 'unassigned' && w > 0 ? color : undefined}
                    className={s.key === 'unassigned' ? 'chart-unassigned' : undefined}
                  >
                    <title>{`${c.name}: ${c.splits[s.key]} ${s.label}`}</title>
                  </rect>
                );
                x += w;
                return rect;
              })}
              <text x={labelW + (c.count / max) * barW + 6} y={y + rowH / 2} className="chart-count" dominantBaseline="middle">
                {formatCount(c.count)}
              </text>
            </g>
          );
        })}
      </svg>
      <figcaption className="legend">
        {SEGMENTS.map((s) => (
          <span key={s.key} className={`legend-item legend-${s.key}`}>
            <span className="swatch" style={{ opacity: s.key === 'unassigned' ? 1 : s.opacity } as CSSProperties} />
            {s.label}
          </span>
        ))}
      </figcaption>
    </figure>
  );
}
