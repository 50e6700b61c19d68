// The logging seam of the JWT module. Levels follow chihaya's -v: 0 errors, 1 notable events,
// 2 per-request rejections, 3+ detail. Callers pass `verbosity`; messages above it are never formatted.
import { formatElapsed } from '../../util/duration-format.js';

export type JwtLog = (level: number, msg: string) => void;

/** A log that drops everything: the default when the integrator passes none. */
export const silentLog: JwtLog = () => {};

/** How long ago, for health texts and logs ("6m5s", "250ms"). */
export const formatAgo = formatElapsed;
