/**
 * Progress for long work on stderr: a bar with counts and rate when stderr is a terminal,
 * nothing at all when it is not (so pipes and logs stay parseable).
 */
export class Progress {
  private readonly label: string;
  private total: number;
  private readonly tty: boolean;
  private readonly started = Date.now();
  private last = 0;
  private readonly unit: string;

  constructor(label: string, total: number, unit = 'rows', stream: NodeJS.WriteStream = process.stderr, env: NodeJS.ProcessEnv = process.env) {
    this.label = label;
    this.total = total;
    this.unit = unit;
    // CI runners that give a pseudo-terminal would keep every redraw in their logs
    this.tty = stream.isTTY === true && !env.CI;
    this.stream = stream;
  }
  private readonly stream: NodeJS.WriteStream;

  /** done: progress toward total; count: items so far (rows). */
  update(done: number, count: number, force = false): void {
    if (!this.tty) return;
    const now = Date.now();
    if (!force && now - this.last < 100) return;
    this.last = now;
    const frac = this.total > 0 ? Math.min(1, done / this.total) : 0;
    const width = 24;
    const filled = Math.round(frac * width);
    const secs = Math.max(0.001, (now - this.started) / 1000);
    const rate = Math.round(count / secs);
    const bar = '█'.repeat(filled) + '░'.repeat(width - filled);
    this.stream.write(`\r\x1b[2K${this.label} ${bar} ${(frac * 100).toFixed(0).padStart(3)}%  ${count.toLocaleString('en-US')} ${this.unit}  ${rate.toLocaleString('en-US')}/s`);
  }

  /** The total, when it is known only once the work has begun (a backlog counted at the start). */
  setTotal(total: number): void {
    this.total = total;
  }

  /** Ends the bar's line without completing it (the work failed): the error then reads on a line of its own. */
  abandon(): void {
    if (this.tty && this.last !== 0) this.stream.write('\n');
  }

  finish(count: number): void {
    if (!this.tty) return;
    this.update(this.total, count, true);
    this.stream.write('\n');
  }
}
