// A one-line progress bar on stderr (\r-rewritten on a terminal; on a pipe, one line every 5 s so CI
// logs stay readable). Time-based when the count is unknown (wrk reports only at the end).
export class Progress {
  private count = 0;
  private readonly started = performance.now();
  private readonly timer: NodeJS.Timeout;
  private lastPipeLine = 0;
  private readonly tty = process.stderr.isTTY === true;

  constructor(private readonly label: string, private readonly seconds: number, private readonly expected = 0) {
    this.timer = setInterval(() => this.draw(), this.tty ? 200 : 1000);
    this.timer.unref();
    this.draw();
  }

  set(count: number): void {
    this.count = count;
  }

  private draw(): void {
    const t = (performance.now() - this.started) / 1000;
    const share = this.expected > 0 ? Math.min(1, this.count / this.expected) : Math.min(1, t / this.seconds);
    const width = 24;
    const full = Math.round(share * width);
    const bar = '#'.repeat(full) + '.'.repeat(width - full);
    const rate = t > 0 && this.count > 0 ? `  ${Math.round(this.count / t).toLocaleString('en-US')} req/s` : '';
    const counted = this.count > 0 ? `  ${this.count.toLocaleString('en-US')} req` : '';
    const line = `  ${this.label} [${bar}] ${t.toFixed(1)}/${this.seconds}s${counted}${rate}`;
    if (this.tty) process.stderr.write(`\r${line.padEnd(100).slice(0, Math.max(100, line.length))}`);
    else if (t - this.lastPipeLine >= 5) {
      this.lastPipeLine = t;
      process.stderr.write(`${line}\n`);
    }
  }

  end(): void {
    clearInterval(this.timer);
    if (this.tty) process.stderr.write(`\r${' '.repeat(100)}\r`);
  }
}
