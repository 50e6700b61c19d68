// Leveled logging to stderr, chihaya/glog style verbosity (-v=0..5). Callers guard with `log.on(level)`
// before formatting anything, so a disabled level costs one comparison. Never log a `jwt` value.

export class Log {
  constructor(readonly verbosity: number, private readonly write: (line: string) => void = (l) => process.stderr.write(l)) {}

  on(level: number): boolean {
    return level <= this.verbosity;
  }

  /** Always printed: start-up, shutdown, errors. */
  info(message: string): void {
    this.write(`${new Date().toISOString()} ${message}\n`);
  }

  at(level: number, message: string): void {
    if (level <= this.verbosity) this.write(`${new Date().toISOString()} ${message}\n`);
  }
}

/** Removes the value of every `jwt` parameter from a query string before it is logged. */
export function redactQuery(query: string): string {
  return query.replace(/(^|[&;?])(jwt=)[^&;]*/gi, '$1$2<redacted>');
}
