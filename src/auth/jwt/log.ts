// The logging seam of the JWT module. Levels follow chihaya's -v: 0 errors, 1 notable events,
// 2 per-request rejections, 3+ detail. Callers pass `verbosity`; messages above it are never formatted.

export type JwtLog = (level: number, msg: string) => void;

/** A log that drops everything: the default when the integrator passes none. */
export const silentLog: JwtLog = () => {};

/** "6m", "1h2m", "45s", "250ms": for health texts and logs. */
export function formatAgo(ms: number): string {
  if (ms < 1000) return `${Math.max(0, Math.round(ms))}ms`;
  const totalSec = Math.floor(ms / 1000);
  const h = Math.floor(totalSec / 3600);
  const m = Math.floor((totalSec % 3600) / 60);
  const s = totalSec % 60;
  let out = '';
  if (h > 0) out += `${h}h`;
  if (m > 0) out += `${m}m`;
  if (s > 0 && h === 0) out += `${s}s`; // seconds are noise once hours are shown
  return out === '' ? '0s' : out;
}
