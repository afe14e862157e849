import type { ActionStep, BotAction } from './schema.js';

/** A ladder step with its delay in milliseconds. */
export interface Step {
  readonly at: number;
  readonly action: BotAction;
  readonly delayMs: number;
}

const SEVERITY: Record<BotAction, number> = { 'log': 1, 'delay': 2, '429': 3, 'step-up': 4, 'block': 5 };
const UNIT: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
/** A held request must not hold a connection for long: the delay action is capped. */
export const MAX_DELAY_MS = 10_000;

/**
 * A duration string in ms (the schema guarantees the shape).
 *
 * @example
 * durationMs('15m'); // 900000
 */
export function durationMs(s: string): number {
  const m = /^([0-9]+)(ms|s|m|h|d)$/.exec(s);
  if (m === null) throw new Error(`invalid duration "${s}"`);
  return Number(m[1]) * UNIT[m[2]!]!;
}

/**
 * Compiles a configured ladder: delays in ms (capped), sorted by threshold.
 *
 * @example
 * compileLadder([{ at: 5, action: 'delay', delay: '1s' }]); // [{ at: 5, action: 'delay', delayMs: 1000 }]
 */
export function compileLadder(steps: readonly ActionStep[]): Step[] {
  return steps.map((s) => ({ at: s.at, action: s.action, delayMs: Math.min(MAX_DELAY_MS, durationMs(s.delay)) })).sort((a, b) => a.at - b.at);
}

/**
 * The step of a ladder that a value has reached: the one with the highest `at` not above `value`.
 *
 * @example
 * reachedStep([{ at: 5, action: 'delay', delayMs: 1000 }, { at: 20, action: '429', delayMs: 0 }], 7)?.action; // 'delay'
 */
export function reachedStep(ladder: readonly Step[], value: number): Step | undefined {
  let best: Step | undefined;
  for (const step of ladder) if (step.at <= value) best = step;
  return best;
}

/**
 * The more severe of two steps (log < delay < 429 < step-up < block); of two delays, the longer.
 *
 * @example
 * worse({ at: 1, action: 'log', delayMs: 0 }, { at: 9, action: 'block', delayMs: 0 })?.action; // 'block'
 */
export function worse(a: Step | undefined, b: Step | undefined): Step | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  const d = SEVERITY[a.action] - SEVERITY[b.action];
  if (d !== 0) return d > 0 ? a : b;
  return a.delayMs >= b.delayMs ? a : b;
}
