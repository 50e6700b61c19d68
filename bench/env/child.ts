// A child process the bench started (tracker or trivial responder): keeps the tail of its output, knows
// whether it exited on its own, stops with SIGTERM (SIGKILL after a grace period). Children still alive
// when the bench exits are killed by pid.
import { spawn, type ChildProcess } from 'node:child_process';

const live = new Set<ChildProcess>();
let hooked = false;

function hookExit(): void {
  if (hooked) return;
  hooked = true;
  process.on('exit', () => {
    for (const c of live) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  });
}

export interface ExitInfo {
  code: number | null;
  signal: string | null;
  /** True when the process ended before the bench asked it to. */
  unexpected: boolean;
  /** True when SIGTERM was not enough. */
  forced: boolean;
  stopMs: number;
}

export class Child {
  readonly proc: ChildProcess;
  exitInfo: ExitInfo | null = null;
  private tail = '';
  private stopping = false;
  private readonly exited: Promise<void>;
  private readonly lineWaiters: ((line: string) => boolean)[] = [];
  private partial = '';

  constructor(command: string, args: string[], readonly label: string) {
    hookExit();
    this.proc = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    live.add(this.proc);
    const onData = (d: Buffer): void => {
      const text = d.toString();
      this.tail = (this.tail + text).slice(-16_384);
      this.partial += text;
      let nl: number;
      while ((nl = this.partial.indexOf('\n')) >= 0) {
        const line = this.partial.slice(0, nl);
        this.partial = this.partial.slice(nl + 1);
        for (let i = this.lineWaiters.length - 1; i >= 0; i--) if (this.lineWaiters[i]!(line)) this.lineWaiters.splice(i, 1);
      }
    };
    this.proc.stdout!.on('data', onData);
    this.proc.stderr!.on('data', onData);
    this.exited = new Promise((resolve) => {
      this.proc.on('exit', (code, signal) => {
        live.delete(this.proc);
        this.exitInfo ??= { code, signal, unexpected: !this.stopping, forced: false, stopMs: 0 };
        resolve();
      });
      this.proc.on('error', (err) => {
        this.tail += `\nspawn error: ${err.message}`;
        live.delete(this.proc);
        this.exitInfo ??= { code: null, signal: null, unexpected: true, forced: false, stopMs: 0 };
        resolve();
      });
    });
  }

  get pid(): number | null {
    return this.proc.pid ?? null;
  }

  get running(): boolean {
    return this.exitInfo === null;
  }

  output(): string {
    return this.tail;
  }

  /** Resolves with the first output line matching `re`; rejects on exit or after timeoutMs. */
  waitForLine(re: RegExp, timeoutMs: number): Promise<RegExpExecArray> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${this.label}: no line matching ${re} within ${timeoutMs} ms; output: ${this.tail.slice(-500)}`)), timeoutMs);
      this.exited.then(() => {
        clearTimeout(timer);
        reject(new Error(`${this.label} exited (${this.exitInfo?.code ?? this.exitInfo?.signal}): ${this.tail.slice(-1000)}`));
      }, () => undefined);
      this.lineWaiters.push((line) => {
        const m = re.exec(line);
        if (m === null) return false;
        clearTimeout(timer);
        resolve(m);
        return true;
      });
    });
  }

  async stop(graceMs = 15_000): Promise<ExitInfo> {
    if (this.exitInfo !== null) return this.exitInfo;
    this.stopping = true;
    const t0 = performance.now();
    this.proc.kill('SIGTERM');
    let forced = false;
    const timer = setTimeout(() => {
      forced = true;
      this.proc.kill('SIGKILL');
    }, graceMs);
    await this.exited;
    clearTimeout(timer);
    this.exitInfo!.forced = forced;
    this.exitInfo!.stopMs = Math.round(performance.now() - t0);
    return this.exitInfo!;
  }
}
