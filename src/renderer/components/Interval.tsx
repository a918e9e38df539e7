// A figure with its 95% interval, as every report shows one: "94.1% (95% CI 89.0–97.0%)". A report stored by an
// older Orelab has no interval: the figure then stands alone rather than with a made-up one.
import { formatBounds, formatFigure, formatInterval, type FigureKind, type Interval } from '../lib/format';

/**
 * `compact` (table cells, whose column heading says "95% CI") shows only the bounds, "0.912 (0.850–0.970)"; the
 * words "95% CI" are still there for a screen reader.
 */
export function WithInterval({ value, ci, kind, compact = false }: { value: number; ci: Interval | undefined; kind: FigureKind; compact?: boolean }) {
  return (
    <span className="with-ci">
      <span className="ci-value">{formatFigure(value, kind)}</span>
      {ci ? (
        compact ? (
          <span className="ci">
            {' ('}
            <span className="visually-hidden">95% CI </span>
            {formatBounds(ci, kind)})
          </span>
        ) : (
          <span className="ci"> ({formatInterval(ci, kind)})</span>
        )
      ) : null}
    </span>
  );
}
