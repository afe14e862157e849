/**
 * Points a security event adds to its client's risk score, by event kind. Kinds not listed
 * (successes, rate-limit decisions themselves) add nothing: a client limited for being busy must
 * not get tighter limits for it, or the limit would feed on itself.
 */
export const DEFAULT_RISK_WEIGHTS: Readonly<Record<string, number>> = Object.freeze({
  'authn.failure': 5,
  'validation.failure': 2,
  'validation.failed': 2,
  'waf.match': 10,
  'waf.block': 20,
  'authz.denied': 10,
  'bot.detected': 15,
  'credential-stuffing.detected': 25,
});

/**
 * The points of one event: its kind's weight, halved when the event was only observed (monitor
 * mode), since nothing was refused.
 *
 * @example
 * riskPoints({ kind: 'waf.block', enforced: true }); // 20
 */
export function riskPoints(event: { kind: string; enforced?: boolean | undefined }, weights: Readonly<Record<string, number>> = DEFAULT_RISK_WEIGHTS): number {
  const w = Object.hasOwn(weights, event.kind) ? weights[event.kind]! : 0;
  return event.enforced === false ? w / 2 : w;
}
