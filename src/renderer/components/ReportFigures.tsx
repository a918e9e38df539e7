// The figures of one classification report, whatever made it (a model's stored predictions of a split, or a
// cross-validation run's out-of-fold predictions): accuracy and macro F1 with their 95% intervals, the per-class
// table (precision and recall with intervals; a recall on fewer than 10 photos greyed out and marked), and the
// confusion matrix whose cells open their photos.
import type { CSSProperties } from 'react';
import type { ClassificationReportInfo } from '../../shared/ipc';
import { confusionInk, confusionShade } from '../lib/heat';
import { formatCount } from '../lib/format';
import { WithInterval } from './Interval';

/** Below this many photos of a class its recall is shown but not to be judged: one photo moves it by 10 points or more. */
export const MIN_SUPPORT_TO_JUDGE = 10;
const TOO_FEW = `fewer than ${MIN_SUPPORT_TO_JUDGE} photos: too few to judge`;

export interface SelectedCell {
  trueClass: string;
  predictedClass: string;
}

export function ReportFigures({
  report,
  scored,
  scoredLabel,
  onCell,
  selected,
}: {
  report: ClassificationReportInfo;
  /** How many labeled photos the report counts, and what they are ("labeled specimens scored"). */
  scored: number;
  scoredLabel: string;
  onCell(trueClass: string, predictedClass: string): void;
  selected: SelectedCell | null;
}) {
  return (
    <>
      <div className="cards compact-cards">
        <div className="stat-card">
          <div className="stat-value accuracy">
            <WithInterval value={report.accuracy} ci={report.accuracy_ci} kind="percent" />
          </div>
          <div className="stat-label">accuracy</div>
        </div>
        <div className="stat-card">
          <div className="stat-value macro-f1">
            <WithInterval value={report.macro_f1} ci={report.macro_f1_ci} kind="decimal" />
          </div>
          <div className="stat-label">macro F1</div>
        </div>
        <div className="stat-card">
          <div className="stat-value">{formatCount(scored)}</div>
          <div className="stat-label">{scoredLabel}</div>
        </div>
      </div>
      <PerClassTable report={report} />
      <ConfusionMatrix report={report} onCell={onCell} selected={selected} />
    </>
  );
}

function PerClassTable({ report }: { report: ClassificationReportInfo }) {
  const bar = (v: number) => ({ '--bar': `${Math.round(v * 100)}%` }) as CSSProperties;
  const fewSupport = report.per_class.some((c) => c.support < MIN_SUPPORT_TO_JUDGE);
  return (
    // A box that scrolls sideways (two reports side by side) must be reachable by keyboard to be scrolled: a tab
    // stop, named as a region (axe: scrollable-region-focusable).
    <div className="per-class-scroll" tabIndex={0} role="region" aria-label="Per-class precision, recall and F1">
      <table className="data-table per-class-table">
        <thead>
          <tr>
            <th>Class</th>
            <th className="num">Support</th>
            <th className="num">Precision (95% CI)</th>
            <th className="num">Recall (95% CI)</th>
            <th className="num">F1</th>
          </tr>
        </thead>
        <tbody>
          {report.per_class.map((c) => {
            const tooFew = c.support < MIN_SUPPORT_TO_JUDGE;
            return (
              <tr key={c.class} data-class={c.class}>
                <td>{c.class}</td>
                <td className="num support">{formatCount(c.support)}</td>
                <td className="num metric precision" style={bar(c.precision)}>
                  <WithInterval value={c.precision} ci={c.precision_ci} kind="decimal" compact />
                </td>
                <td className={`num metric recall${tooFew ? ' too-few' : ''}`} style={bar(c.recall)} title={tooFew ? TOO_FEW : undefined}>
                  <WithInterval value={c.recall} ci={c.recall_ci} kind="decimal" compact />
                  {/* Not by shade alone: a mark that the footnote explains, and the reason in words for a screen reader. */}
                  {tooFew ? (
                    <>
                      <span className="too-few-mark" aria-hidden="true">
                        *
                      </span>
                      <span className="visually-hidden">, {TOO_FEW}</span>
                    </>
                  ) : null}
                </td>
                <td className="num metric f1" style={bar(c.f1)}>
                  {c.f1.toFixed(3)}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
      {fewSupport ? (
        <p className="muted small too-few-note">
          <span aria-hidden="true">* </span>Greyed: {TOO_FEW}.
        </p>
      ) : null}
    </div>
  );
}

function ConfusionMatrix({ report, onCell, selected }: { report: ClassificationReportInfo; onCell(trueClass: string, predictedClass: string): void; selected: SelectedCell | null }) {
  const { classes, confusion } = report;
  return (
    <figure className="confusion">
      <figcaption className="muted small">Rows: the label. Columns: the prediction. Shade: share of the row. Click a cell to see its photos.</figcaption>
      <table className="confusion-table">
        <thead>
          <tr>
            <th scope="col" className="corner">
              label ↓ / predicted →
            </th>
            {classes.map((c) => (
              <th key={c} scope="col" className="col-head" title={c}>
                <span>{c}</span>
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {classes.map((t, i) => {
            const rowTotal = confusion[i]!.reduce((a, b) => a + b, 0);
            return (
              <tr key={t}>
                <th scope="row" title={t}>
                  {t}
                </th>
                {classes.map((p, j) => {
                  const n = confusion[i]![j]!;
                  const isSelected = selected?.trueClass === t && selected.predictedClass === p;
                  return (
                    <td key={p}>
                      <button
                        type="button"
                        className={`confusion-cell${isSelected ? ' selected' : ''}`}
                        data-true={t}
                        data-predicted={p}
                        style={{ background: confusionShade(n, rowTotal, i === j), color: confusionInk(n, rowTotal) }}
                        aria-label={`${n} labeled ${t}, predicted ${p}`}
                        aria-pressed={isSelected}
                        onClick={() => onCell(t, p)}
                      >
                        {n}
                      </button>
                    </td>
                  );
                })}
              </tr>
            );
          })}
        </tbody>
      </table>
    </figure>
  );
}
