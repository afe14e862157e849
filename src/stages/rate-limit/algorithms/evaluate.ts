import { fixedWindow } from './fixed-window.js';
import { gcra } from './gcra.js';
import { slidingLog } from './sliding-log.js';
import { slidingWindow } from './sliding-window.js';
import { tokenBucket } from './token-bucket.js';
import type { Algorithm, LimitRule, LimitState, Outcome } from './types.js';

const BY_NAME: Record<Algorithm, (rule: LimitRule, state: LimitState | undefined, now: number, cost: number) => Outcome> = {
  'token-bucket': tokenBucket,
  'gcra': gcra,
  'fixed-window': fixedWindow,
  'sliding-window': slidingWindow,
  'sliding-log': slidingLog,
};

/**
 * Evaluates one limit with the rule's algorithm: a pure function of state and time.
 *
 * @example
 * const o = evaluateLimit(rule, state, Date.now(), 1);
 * if (o.allowed) state = o.state;
 */
export function evaluateLimit(rule: LimitRule, state: LimitState | undefined, now: number, cost: number): Outcome {
  return BY_NAME[rule.algorithm](rule, state, now, cost);
}
