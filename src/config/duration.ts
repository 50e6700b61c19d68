// Go `time.Duration` text, because chihaya v1 config files carry durations as Go strings ("15m", "1h30m").
// Parsing follows Go's time.ParseDuration: an optional sign, then one or more <number><unit> pairs with
// units ns, us, µs, ms, s, m, h; "0" alone needs no unit. Anything Go rejects is rejected here, so a
// config that worked with chihaya keeps its meaning and a typo never becomes a silent default.

const NS_PER_UNIT: ReadonlyMap<string, bigint> = new Map([
  ['ns', 1n],
  ['us', 1_000n],
  ['\u00b5s', 1_000n], // µ MICRO SIGN
  ['\u03bcs', 1_000n], // μ GREEK SMALL LETTER MU
  ['ms', 1_000_000n],
  ['s', 1_000_000_000n],
  ['m', 60_000_000_000n],
  ['h', 3_600_000_000_000n],
]);

// Go's Duration is an int64 of nanoseconds; larger values are an error there, so here too.
const MAX_NS = (1n << 63n) - 1n;

function isDigit(c: string): boolean {
  return c >= '0' && c <= '9';
}

/**
 * Parses a Go duration string and returns milliseconds (fractional below 1 ms, e.g. "10ns" → 0.00001).
 * A leading "-" gives a negative result, so callers can reject it with their own message.
 * Throws an Error naming the text on anything Go's time.ParseDuration would reject.
 */
export function parseGoDuration(text: string): number {
  const bad = (why: string): Error => new Error(`invalid duration ${JSON.stringify(text)}: ${why}`);
  let s = text;
  let negative = false;
  if (s.startsWith('-') || s.startsWith('+')) {
    negative = s[0] === '-';
    s = s.slice(1);
  }
  if (s === '0') return 0;
  if (s === '') throw bad('empty');

  let totalNs = 0n;
  let i = 0;
  while (i < s.length) {
    const start = i;
    while (i < s.length && isDigit(s[i]!)) i++;
    const whole = s.slice(start, i);
    let frac = '';
    if (s[i] === '.') {
      const fracStart = ++i;
      while (i < s.length && isDigit(s[i]!)) i++;
      frac = s.slice(fracStart, i);
    }
    if (whole === '' && frac === '') throw bad('expected a number');
    const unitStart = i;
    while (i < s.length && s[i] !== '.' && !isDigit(s[i]!)) i++;
    const unitText = s.slice(unitStart, i);
    if (unitText === '') throw bad('missing unit (ns, us, ms, s, m, h)');
    const unit = NS_PER_UNIT.get(unitText);
    if (unit === undefined) throw bad(`unknown unit ${JSON.stringify(unitText)}`);

    // Exact integer arithmetic; Go truncates the fraction to whole nanoseconds the same way.
    let ns = BigInt(whole === '' ? '0' : whole) * unit;
    if (frac !== '') ns += (BigInt(frac) * unit) / 10n ** BigInt(frac.length);
    totalNs += ns;
    if (totalNs > MAX_NS) throw bad('out of range');
  }
  if (totalNs === 0n) return 0; // no "-0"
  const ms = Number(totalNs) / 1e6;
  return negative ? -ms : ms;
}
