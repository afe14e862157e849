/** The rate-limit algorithms (docs/reference/rate-limiting.md explains each one's boundary behaviour). */
export const ALGORITHMS = ['token-bucket', 'gcra', 'fixed-window', 'sliding-window', 'sliding-log'] as const;
export type Algorithm = (typeof ALGORITHMS)[number];

/** Calendar alignment of a fixed window (quotas): UTC day or UTC month. */
export type Calendar = 'day' | 'month';

/** One compiled limit as the algorithms see it. */
export interface LimitRule {
  readonly algorithm: Algorithm;
  /** Requests (cost units) allowed per window. */
  readonly limit: number;
  /** Window length in ms (ignored for calendar windows). */
  readonly windowMs: number;
  /** Token bucket capacity / GCRA burst; equals `limit` unless configured. */
  readonly burst: number;
  /** Fixed window only: align to UTC days or months (quotas). */
  readonly calendar?: Calendar | undefined;
}

/**
 * An algorithm's state: a short list of numbers, so the memory and Redis back-ends store it
 * the same way (a space-separated string in Redis, evaluated by the same arithmetic in Lua).
 */
export type LimitState = readonly number[];

/** The result of evaluating one limit at one instant. */
export interface Outcome {
  readonly allowed: boolean;
  /** State to store when the request as a whole is allowed. */
  readonly state: LimitState;
  /** Units left after this request (0 when denied). */
  readonly remaining: number;
  /** Ms until the limit is fully available again (the `t` of the RateLimit header). */
  readonly resetMs: number;
  /** Ms until a request of the same cost could pass (0 when allowed). */
  readonly retryAfterMs: number;
  /** How long the state must be kept. */
  readonly ttlMs: number;
}
