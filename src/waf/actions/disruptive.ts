/**
 * Disruptive and flow actions: deny, drop, block, pass, allow, redirect, status, skip, skipAfter.
 * They only record intent on the rule; the engine applies them (and honours DetectionOnly).
 */
import type { ActionDef } from './types.js';
import type { DisruptiveKind } from '../types.js';
import { WafLoadError } from '../rules/errors.js';

function disruptive(kind: DisruptiveKind): ActionDef {
  return { kind: 'disruptive', init(rule) { rule.disruptive = kind; return undefined; } };
}

/** @example deny.init(rule, undefined, site) */
export const deny = disruptive('deny');
/** @example drop.init(rule, undefined, site) */
export const drop = disruptive('drop');
/** @example block.init(rule, undefined, site) */
export const block = disruptive('block');
/** @example pass.init(rule, undefined, site) */
export const pass = disruptive('pass');
/** @example allow.init(rule, undefined, site) */
export const allow = disruptive('allow');
/** @example redirect.init(rule, 'https://x', site) */
export const redirect = disruptive('redirect');

/** @example status.init(rule, '403', site) */
export const status: ActionDef = {
  kind: 'data',
  init(rule, value, site) {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 100 || n > 599) throw new WafLoadError(`bad status ${value}`, site.file, site.line);
    rule.status = n;
    return undefined;
  },
};

/** @example skip.init(rule, '2', site) */
export const skip: ActionDef = {
  kind: 'flow',
  init(rule, value, site) {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 1) throw new WafLoadError(`bad skip ${value}`, site.file, site.line);
    rule.skip = n;
    return undefined;
  },
};

/** @example skipAfter.init(rule, 'END-REQUEST', site) */
export const skipAfter: ActionDef = {
  kind: 'flow',
  init(rule, value, site) {
    if (!value) throw new WafLoadError('skipAfter needs a marker', site.file, site.line);
    rule.skipAfter = value;
    return undefined;
  },
};
