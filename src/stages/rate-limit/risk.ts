import type { RequestContext } from '../../pipeline/context.js';
import type { RiskScores } from '../../security/risk/index.js';
import type { LimitRule } from './algorithms/types.js';

/** A risk band: from `score` on, limits are multiplied by `factor`. */
export interface RiskBand {
  readonly score: number;
  readonly factor: number;
}

/**
 * The band a request's client has reached (bands sorted by score): the higher of the scores of its
 * address and its principal. A store failure reads as no risk: tightening is a refinement, and the
 * limits themselves still apply.
 *
 * @example
 * const { index, factor } = await riskFactor(risk, ctx, [{ score: 20, factor: 0.5 }]);
 */
export async function riskFactor(risk: RiskScores, ctx: RequestContext, bands: readonly RiskBand[]): Promise<{ index: number; factor: number }> {
  // An allow-listed client (the bot stage's `allow`) is trusted: never tightened.
  if (ctx.allowListed === true) return { index: -1, factor: 1 };
  let score: number;
  try {
    const [ip, p] = await Promise.all([risk.score(`ip:${ctx.client.ip}`), ctx.principal?.id ? risk.score(`p:${ctx.principal.id}`) : 0]);
    score = Math.max(ip, p);
  } catch {
    return { index: -1, factor: 1 };
  }
  let index = -1;
  for (let i = 0; i < bands.length; i++) if (score >= bands[i]!.score) index = i;
  return { index, factor: index < 0 ? 1 : bands[index]!.factor };
}

/**
 * Checks the bands against the floor at load: no band may tighten below it.
 *
 * @example
 * checkBands([{ score: 20, factor: 0.5 }], 0.05); // ok; a factor of 0.01 throws
 */
export function checkBands(bands: readonly RiskBand[], floor: number): void {
  bands.forEach((b, i) => {
    if (b.factor < floor) throw new Error(`rate-limit: risk.bands[${i}].factor ${b.factor} is below risk.floor ${floor} (lower the floor to tighten that far)`);
  });
}

/**
 * A rule with its limit and burst scaled by `factor` (at least 1 each); the same rule when 1.
 *
 * @example
 * scaleRule({ algorithm: 'fixed-window', limit: 100, windowMs: 60000, burst: 100 }, 0.5).limit; // 50
 */
export function scaleRule(rule: LimitRule, factor: number): LimitRule {
  if (factor >= 1) return rule;
  return { ...rule, limit: Math.max(1, Math.floor(rule.limit * factor)), burst: Math.max(1, Math.floor(rule.burst * factor)) };
}
