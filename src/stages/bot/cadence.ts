/**
 * Request cadence: a script on a timer sends requests at near-constant intervals, people do not.
 * The state is Welford's running mean and variance of the intervals, so it stays four numbers
 * however many requests a client sends.
 */

/** Parameters of the cadence signal (from the schema). */
export interface CadenceRule {
  readonly minRequests: number;
  readonly maxJitter: number;
  readonly maxIntervalMs: number;
}

/** [last request ms, intervals seen, mean interval, sum of squared deviations]. */
export type CadenceState = readonly [number, number, number, number];

/**
 * Adds one request at `now`. `regular` is true once `minRequests` intervals were seen and their
 * standard deviation is below `maxJitter` times their mean. A gap over `maxIntervalMs` (or a clock
 * going backwards) restarts the observation.
 *
 * @example
 * let s; for (const t of [0, 1000, 2000]) ({ state: s } = updateCadence(s, t, rule));
 */
export function updateCadence(state: CadenceState | undefined, now: number, rule: CadenceRule): { state: CadenceState; regular: boolean } {
  if (state === undefined) return { state: [now, 0, 0, 0], regular: false };
  const [last, n0, mean0, m20] = state;
  const interval = now - last;
  if (interval < 0 || interval > rule.maxIntervalMs) return { state: [now, 0, 0, 0], regular: false };
  const n = n0 + 1;
  const delta = interval - mean0;
  const mean = mean0 + delta / n;
  const m2 = m20 + delta * (interval - mean);
  const regular = n >= rule.minRequests && mean > 0 && Math.sqrt(m2 / n) < rule.maxJitter * mean;
  return { state: [now, n, mean, m2], regular };
}

/**
 * State as stored (compact text) and back; anything unparsable is a fresh start.
 *
 * @example
 * parseCadence(formatCadence([1, 2, 3, 4])); // [1, 2, 3, 4]
 */
export function formatCadence(s: CadenceState): string {
  return `${s[0]},${s[1]},${Math.round(s[2] * 1000) / 1000},${Math.round(s[3])}`;
}

/** @see formatCadence */
export function parseCadence(text: string | undefined): CadenceState | undefined {
  if (text === undefined) return undefined;
  const parts = text.split(',').map(Number);
  if (parts.length !== 4 || parts.some((n) => !Number.isFinite(n))) return undefined;
  return parts as unknown as CadenceState;
}
