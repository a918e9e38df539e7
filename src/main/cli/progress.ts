/**
 * A one-line progress bar with rate and ETA on stderr, drawn only when stderr is a terminal (scripts and
 * logs get clean output). Redraws at most ten times a second.
 */
export class ProgressBar {
  private lastDraw = 0;
  private readonly started = Date.now();
  private drawn = false;

  constructor(
    private readonly stream: NodeJS.WritableStream & { isTTY?: boolean; columns?: number },
    private readonly label: string,
    private readonly unit = 'img',
  ) {}

  get enabled(): boolean {
    return this.stream.isTTY === true;
  }

  update(done: number, total: number, detail = ''): void {
    if (!this.enabled) return;
    const now = Date.now();
    if (now - this.lastDraw < 100 && done < total) return;
    this.lastDraw = now;
    const elapsed = (now - this.started) / 1000;
    const rate = elapsed > 0 ? done / elapsed : 0;
    const eta = rate > 0 && total > done ? formatDuration((total - done) / rate) : '--';
    const width = 24;
    const fraction = total > 0 ? Math.min(1, done / total) : 0;
    const filled = Math.round(fraction * width);
    const bar = '█'.repeat(filled) + '░'.repeat(width - filled);
    let line = `${this.label} ${bar} ${done}/${total} ${rate.toFixed(1)} ${this.unit}/s ETA ${eta}${detail ? ' ' + detail : ''}`;
    const cols = this.stream.columns ?? 100;
    if (line.length > cols - 1) line = line.slice(0, cols - 1);
    this.stream.write(`\r\x1b[2K${line}`);
    this.drawn = true;
  }

  done(): void {
    if (this.drawn) this.stream.write('\r\x1b[2K');
    this.drawn = false;
  }
}

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '--';
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}
