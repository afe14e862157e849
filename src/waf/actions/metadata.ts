/**
 * Metadata and flag actions: id, phase, msg, tag, severity, logdata, ver, rev,
 * maturity, accuracy, capture, multiMatch, log/nolog, auditlog/noauditlog, chain.
 */
import type { ActionDef, ActionSite } from './types.js';
import { compileMacro } from '../macro.js';
import { WafLoadError } from '../rules/errors.js';

const SEVERITIES = ['EMERGENCY', 'ALERT', 'CRITICAL', 'ERROR', 'WARNING', 'NOTICE', 'INFO', 'DEBUG'];

function required(value: string | undefined, name: string, site: ActionSite): string {
  if (value === undefined || value === '') throw new WafLoadError(`action ${name} needs a value`, site.file, site.line);
  return value;
}

/** @example id.init(rule, '942100', site) */
export const id: ActionDef = {
  kind: 'metadata',
  init(rule, value, site) {
    const n = Number(required(value, 'id', site));
    if (!Number.isInteger(n) || n <= 0) throw new WafLoadError(`bad rule id ${value}`, site.file, site.line);
    rule.id = n;
    return undefined;
  },
};

/** Numbers 1-5 or request/response/logging. @example phase.init(rule, 'request', site) */
export const phase: ActionDef = {
  kind: 'metadata',
  init(rule, value, site) {
    const v = required(value, 'phase', site).toLowerCase();
    const n = v === 'request' ? 2 : v === 'response' ? 4 : v === 'logging' ? 5 : Number(v);
    if (!Number.isInteger(n) || n < 1 || n > 5) throw new WafLoadError(`bad phase ${value}`, site.file, site.line);
    rule.phase = n;
    return undefined;
  },
};

/** @example msg.init(rule, 'SQLi', site) */
export const msg: ActionDef = { kind: 'metadata', init(rule, value) { rule.msg = compileMacro(value ?? ''); return undefined; } };
/** @example logdata.init(rule, '%{MATCHED_VAR}', site) */
export const logdata: ActionDef = { kind: 'nondisruptive', init(rule, value) { rule.logdata = compileMacro(value ?? ''); return undefined; } };
/** @example tag.init(rule, 'attack-sqli', site) */
export const tag: ActionDef = { kind: 'metadata', init(rule, value) { rule.tags.push(value ?? ''); return undefined; } };
/** @example severity.init(rule, 'CRITICAL', site) */
export const severity: ActionDef = {
  kind: 'metadata',
  init(rule, value, site) {
    const v = required(value, 'severity', site).toUpperCase();
    const byNum = /^\d$/.test(v) ? SEVERITIES[Number(v)] : undefined;
    const name = byNum ?? (SEVERITIES.includes(v) ? v : undefined);
    if (name === undefined) throw new WafLoadError(`bad severity ${value}`, site.file, site.line);
    rule.severity = name;
    return undefined;
  },
};
/** @example ver.init(rule, 'OWASP_CRS/4.0.0', site) */
export const ver: ActionDef = { kind: 'metadata', init(rule, value) { rule.ver = value; return undefined; } };
/** @example rev.init(rule, '2', site) */
export const rev: ActionDef = { kind: 'metadata', init(rule, value) { rule.rev = value; return undefined; } };
/** @example maturity.init(rule, '9', site) */
export const maturity: ActionDef = { kind: 'metadata', init(rule, value) { rule.maturity = value; return undefined; } };
/** @example accuracy.init(rule, '9', site) */
export const accuracy: ActionDef = { kind: 'metadata', init(rule, value) { rule.accuracy = value; return undefined; } };
/** @example capture.init(rule, undefined, site) */
export const capture: ActionDef = { kind: 'nondisruptive', init(rule) { rule.capture = true; return undefined; } };
/** @example multiMatch.init(rule, undefined, site) */
export const multiMatch: ActionDef = { kind: 'nondisruptive', init(rule) { rule.multiMatch = true; return undefined; } };
/** @example log.init(rule, undefined, site) */
export const log: ActionDef = { kind: 'nondisruptive', init(rule) { rule.log = true; return undefined; } };
/** @example nolog.init(rule, undefined, site) */
export const nolog: ActionDef = { kind: 'nondisruptive', init(rule) { rule.log = false; rule.auditlog ??= false; return undefined; } };
/** @example auditlog.init(rule, undefined, site) */
export const auditlog: ActionDef = { kind: 'nondisruptive', init(rule) { rule.auditlog = true; return undefined; } };
/** @example noauditlog.init(rule, undefined, site) */
export const noauditlog: ActionDef = { kind: 'nondisruptive', init(rule) { rule.auditlog = false; return undefined; } };
/** @example chain.init(rule, undefined, site) */
export const chain: ActionDef = { kind: 'flow', init(rule) { rule.hasChainAction = true; return undefined; } };
/** Accepted and ignored: persistent collections and sanitisation are not implemented. @example noop.init(rule, 'x', site) */
export const noop: ActionDef = { kind: 'nondisruptive', init() { return undefined; } };
