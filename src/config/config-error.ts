// Configuration mistakes, each a one-line message naming the key and the value (an operator fixes it in
// one edit).

/** A configuration mistake. `message` is one line, fit to print before exiting non-zero. */
export class ConfigError extends Error {
  readonly code = 'HAYATE_CONFIG';
  constructor(message: string, readonly key?: string) {
    super(message);
    this.name = 'ConfigError';
  }
}
