// The one duration formatter: Go's Duration.String syntax, the syntax config.json uses, for config
// messages, health texts and logs alike.

// Go's fmtFrac: `digits` decimal places of `v`, trailing zeros and a bare point omitted.
function withFraction(v: bigint, digits: number): string {
  const scale = 10n ** BigInt(digits);
  const frac = (v % scale).toString().padStart(digits, '0').replace(/0+$/, '');
  return (v / scale).toString() + (frac === '' ? '' : '.' + frac);
}

/**
 * Formats milliseconds the way Go's Duration.String does ("15m0s", "1h30m0s", "250ms", "1.5s", "0s"),
 * so messages echo values in the syntax the config file uses. Rounds to whole nanoseconds.
 */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) return String(ms);
  let ns = BigInt(Math.round(ms * 1e6));
  const sign = ns < 0n ? '-' : '';
  if (ns < 0n) ns = -ns;
  if (ns === 0n) return '0s';
  if (ns < 1_000n) return `${sign}${ns}ns`;
  if (ns < 1_000_000n) return `${sign}${withFraction(ns, 3)}\u00b5s`;
  if (ns < 1_000_000_000n) return `${sign}${withFraction(ns, 6)}ms`;

  const seconds = withFraction(ns % 60_000_000_000n, 9) + 's';
  const totalMinutes = ns / 60_000_000_000n;
  if (totalMinutes === 0n) return sign + seconds;
  const hours = totalMinutes / 60n;
  const minutes = `${totalMinutes % 60n}m`;
  return sign + (hours === 0n ? '' : `${hours}h`) + minutes + seconds;
}

/**
 * For "how long ago" texts: the same syntax, trimmed to what a reader needs ("6m", "1h2m", "45s",
 * "250ms"): whole seconds, no seconds once hours are shown, no trailing zero units.
 */
export function formatElapsed(ms: number): string {
  if (ms < 1000) return `${Math.max(0, Math.round(ms))}ms`;
  const rounded = ms >= 3_600_000 ? Math.floor(ms / 60_000) * 60_000 : Math.floor(ms / 1000) * 1000;
  return formatDuration(rounded).replace(/([hm])0s$/, '$1').replace(/h0m$/, 'h');
}
