/** A progressive penalty policy: strikes, a ladder of block durations and decay. */
export interface PenaltyRule {
  /** Violations (denied requests) tolerated before the first block. */
  readonly allowStrikes: number;
  /** Block durations in ms; the n-th block beyond the allowance uses entry n (the last repeats). */
  readonly ladderMs: readonly number[];
  /** One strike is forgiven per this many ms without a violation. */
  readonly decayMs: number;
}

/** Penalty state: [strikes, blockedUntilMs, lastViolationMs]. */
export type PenaltyState = readonly number[];

/**
 * Whether a client is blocked now, and the strikes left after decay.
 *
 * @example
 * const { blocked, retryAfterMs } = penaltyStatus(rule, state, Date.now());
 */
export function penaltyStatus(rule: PenaltyRule, state: PenaltyState | undefined, now: number): { blocked: boolean; retryAfterMs: number; strikes: number } {
  if (state === undefined || state.length !== 3) return { blocked: false, retryAfterMs: 0, strikes: 0 };
  const [strikes, until, last] = state as [number, number, number];
  const forgiven = Math.floor(Math.max(0, now - Math.max(last, until)) / rule.decayMs);
  const left = Math.max(0, strikes - forgiven);
  return until > now ? { blocked: true, retryAfterMs: until - now, strikes } : { blocked: false, retryAfterMs: 0, strikes: left };
}

/**
 * Records a violation: one more strike, and a block from the ladder once the allowance is used.
 * Decay counts from the end of the last block, so good behaviour after a block earns forgiveness.
 *
 * @example
 * const rule = { allowStrikes: 3, ladderMs: [60_000, 600_000, 3_600_000], decayMs: 600_000 };
 * const next = penaltyViolation(rule, 2, Date.now()); // 3rd strike: still no block
 */
export function penaltyViolation(rule: PenaltyRule, strikes: number, now: number): { state: PenaltyState; blockMs: number; ttlMs: number } {
  const s = strikes + 1;
  const step = s - rule.allowStrikes - 1;
  const blockMs = step < 0 || rule.ladderMs.length === 0 ? 0 : rule.ladderMs[Math.min(step, rule.ladderMs.length - 1)]!;
  const until = now + blockMs;
  return { state: [s, until, now], blockMs, ttlMs: blockMs + s * rule.decayMs + 1 };
}
