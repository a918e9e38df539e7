// A small SVG line chart (no chart library): training and validation curves over epochs. Axis ticks, one
// line per series (points get markers when they are per-epoch values), and an optional marked x (the kept
// epoch). Drawn in CSS pixels at its container's width (the viewBox follows the measured width), so the tick
// labels keep their font size in a narrow card or at 200% zoom instead of shrinking with the drawing.
import { useEffect, useRef, useState, type RefObject } from 'react';

export interface Series {
  name: string;
  /** CSS class that colours the line (see styles.css .series-*). */
  className: string;
  points: { x: number; y: number }[];
  markers?: boolean;
  dashed?: boolean;
}

interface Props {
  label: string;
  series: Series[];
  /** x runs 0..xMax (epochs). */
  xMax: number;
  yMin?: number;
  yMax?: number;
  formatY(y: number): string;
  /** x of the kept checkpoint, drawn as a vertical line. */
  mark?: { x: number; label: string } | null;
  xLabel: string;
}

/** The width drawn before the container is measured, and the narrowest drawn (a narrower card scales it down). */
const DEFAULT_W = 600;
const MIN_W = 260;
const H = 170;
const PAD = { left: 46, right: 12, top: 12, bottom: 30 };

function niceTicks(min: number, max: number, count: number): number[] {
  if (!(max > min)) return [min];
  const raw = (max - min) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? raw;
  const ticks: number[] = [];
  for (let v = Math.ceil(min / step) * step; v <= max + step * 1e-6; v += step) ticks.push(Math.round(v / step) * step);
  return ticks;
}

/** The element's content width in CSS px, followed as it changes (null until measured). */
function useWidth<T extends HTMLElement>(): [RefObject<T | null>, number | null] {
  const ref = useRef<T>(null);
  const [width, setWidth] = useState<number | null>(null);
  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    const observer = new ResizeObserver(([entry]) => {
      const w = Math.round(entry?.contentRect.width ?? 0);
      if (w > 0) setWidth(w);
    });
    observer.observe(el);
    return () => observer.disconnect();
  }, []);
  return [ref, width];
}

export function LineChart({ label, series, xMax, yMin, yMax, formatY, mark, xLabel }: Props) {
  const [figureRef, measured] = useWidth<HTMLElement>();
  const W = Math.max(MIN_W, measured ?? DEFAULT_W);
  const all = series.flatMap((s) => s.points.map((p) => p.y)).filter(Number.isFinite);
  const lo = yMin ?? (all.length ? Math.min(...all) : 0);
  let hi = yMax ?? (all.length ? Math.max(...all) : 1);
  if (hi <= lo) hi = lo + 1;
  const xm = Math.max(1, xMax);
  const x = (v: number) => PAD.left + (v / xm) * (W - PAD.left - PAD.right);
  const y = (v: number) => PAD.top + (1 - (v - lo) / (hi - lo)) * (H - PAD.top - PAD.bottom);
  // Fewer x ticks where they would crowd (about one per 60 px).
  const xTicks = niceTicks(0, xm, Math.max(2, Math.min(6, xm, Math.floor((W - PAD.left - PAD.right) / 60)))).filter((t) => Number.isInteger(t));
  const yTicks = niceTicks(lo, hi, 4);
  // The legend names what is drawn: a past run has no running loss, so it does not list one (an empty chart lists all).
  const drawn = series.filter((s) => s.points.length > 0);
  const legend = drawn.length > 0 ? drawn : series;
  return (
    <figure className="line-chart" ref={figureRef}>
      <div className="chart-title">{label}</div>
      <svg viewBox={`0 0 ${W} ${H}`} role="img" aria-label={label}>
        {yTicks.map((t) => (
          <g key={`y${t}`}>
            <line x1={PAD.left} x2={W - PAD.right} y1={y(t)} y2={y(t)} className="grid-line" />
            <text x={PAD.left - 6} y={y(t)} className="tick" textAnchor="end" dominantBaseline="middle">
              {formatY(t)}
            </text>
          </g>
        ))}
        {xTicks.map((t) => (
          <text key={`x${t}`} x={x(t)} y={H - PAD.bottom + 14} className="tick" textAnchor="middle">
            {t}
          </text>
        ))}
        <text x={(PAD.left + W - PAD.right) / 2} y={H - 3} className="axis-label" textAnchor="middle">
          {xLabel}
        </text>
        <line x1={PAD.left} x2={PAD.left} y1={PAD.top} y2={H - PAD.bottom} className="axis" />
        <line x1={PAD.left} x2={W - PAD.right} y1={H - PAD.bottom} y2={H - PAD.bottom} className="axis" />
        {mark ? (
          <g className="kept-mark">
            <line x1={x(mark.x)} x2={x(mark.x)} y1={PAD.top} y2={H - PAD.bottom} />
            {/* Near the right edge the label goes on the line's left, so it is never cut off. */}
            <text x={x(mark.x) + (x(mark.x) > W * 0.75 ? -4 : 4)} y={PAD.top + 10} className="tick" textAnchor={x(mark.x) > W * 0.75 ? 'end' : 'start'}>
              {mark.label}
            </text>
          </g>
        ) : null}
        {series.map((s) =>
          s.points.length === 0 ? null : (
            <g key={s.name} className={`series ${s.className}`}>
              {s.points.length > 1 ? (
                <polyline points={s.points.map((p) => `${x(p.x).toFixed(1)},${y(p.y).toFixed(1)}`).join(' ')} fill="none" strokeDasharray={s.dashed ? '4 3' : undefined} />
              ) : null}
              {s.markers || s.points.length === 1
                ? s.points.map((p, i) => (
                    <circle key={i} cx={x(p.x)} cy={y(p.y)} r={3}>
                      <title>{`${s.name}: ${formatY(p.y)} at ${p.x.toFixed(2)}`}</title>
                    </circle>
                  ))
                : null}
            </g>
          ),
        )}
      </svg>
      <figcaption className="legend">
        {legend.map((s) => (
          <span key={s.name} className={`legend-item series ${s.className}`}>
            <span className="legend-line" />
            {s.name}
          </span>
        ))}
      </figcaption>
    </figure>
  );
}
