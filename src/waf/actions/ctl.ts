/**
 * ctl: per-transaction changes to the engine (ruleEngine, ruleRemoveById/ByTag,
 * ruleRemoveTargetById/ByTag, requestBodyProcessor, requestBodyAccess, ...).
 */
import type { ActionDef } from './types.js';
import { WafLoadError } from '../rules/errors.js';
import { compileMacro } from '../macro.js';

/** Parses `1-5 7` style id lists into inclusive ranges. @example parseIdRanges('1-3 9') // [[1,3],[9,9]] */
export function parseIdRanges(s: string): Array<[number, number]> {
  return s.split(/[\s,]+/).filter((x) => x !== '').map((x) => {
    const [a, b] = x.split('-');
    return [Number(a), Number(b ?? a)] as [number, number];
  });
}

/**
 * `ARGS:Pw` → ARGS and `pw` (keys compare case-insensitively); a `/regex/` key keeps its case
 * (`\S` is not `\s`; the selector is case-insensitive anyway); no key (or an empty one): the
 * whole variable, as in Coraza.
 *
 * @example splitTarget('REQUEST_COOKIES:/^_ga/') // { collection: 'REQUEST_COOKIES', key: '/^_ga/' }
 */
function splitTarget(t: string): { collection: string; key: string | undefined } {
  const s = t.trim();
  const c = s.indexOf(':');
  const key = c === -1 ? '' : s.slice(c + 1).trim();
  if (key === '') return { collection: (c === -1 ? s : s.slice(0, c)).trim().toUpperCase(), key: undefined };
  const regex = key.length >= 2 && key.startsWith('/') && key.endsWith('/');
  return { collection: s.slice(0, c).trim().toUpperCase(), key: regex ? key : key.toLowerCase() };
}

/** @example ctl.init(rule, 'ruleRemoveById=942100', site) */
export const ctl: ActionDef = {
  kind: 'nondisruptive',
  init(_rule, value, site) {
    const eq = value?.indexOf('=') ?? -1;
    if (!value || eq === -1) throw new WafLoadError(`bad ctl ${value ?? ''}`, site.file, site.line);
    const opt = value.slice(0, eq).toLowerCase();
    const arg = compileMacro(value.slice(eq + 1));
    // What these change is folded with TX (ADR 0030) when the argument reads nothing else.
    const independent = [...arg.collections].every((c) => c === 'TX');
    switch (opt) {
      case 'ruleengine':
        return { name: 'ctl', requestIndependent: independent, run(tx) { const v = arg.expand(tx).toLowerCase(); tx.engineMode = v === 'on' ? 'On' : v === 'off' ? 'Off' : 'DetectionOnly'; } };
      case 'ruleremovebyid':
        return { name: 'ctl', requestIndependent: independent, run(tx) { tx.removedRuleIds.push(...parseIdRanges(arg.expand(tx))); } };
      case 'ruleremovebytag':
        return { name: 'ctl', requestIndependent: independent, run(tx) { tx.removedTags.push(arg.expand(tx)); } };
      case 'ruleremovetargetbyid':
        return {
          name: 'ctl',
          requestIndependent: independent,
          run(tx) {
            const [ids, target] = arg.expand(tx).split(';');
            for (const [a, b] of parseIdRanges(ids ?? '')) {
              for (let id = a; id <= b && id - a < 10000; id++) {
                const list = tx.removedTargets.get(id) ?? [];
                list.push(splitTarget(target ?? ''));
                tx.removedTargets.set(id, list);
              }
            }
          },
        };
      case 'ruleremovetargetbytag':
        return { name: 'ctl', requestIndependent: independent, run(tx) { const [tag, target] = arg.expand(tx).split(';'); tx.removedTargetsByTag.push({ tag: tag ?? '', ...splitTarget(target ?? '') }); } };
      case 'requestbodyprocessor':
        return { name: 'ctl', run(tx) { tx.bodyProcessor = arg.expand(tx).toUpperCase(); } };
      case 'requestbodyaccess':
        return { name: 'ctl', run(tx) { tx.requestBodyAccess = arg.expand(tx).toLowerCase() === 'on'; } };
      case 'requestbodylimit':
        return { name: 'ctl', run(tx) { tx.requestBodyLimit = Number(arg.expand(tx)); } };
      case 'forcerequestbodyvariable':
        return { name: 'ctl', run(tx) { tx.forceRequestBodyVariable = arg.expand(tx).toLowerCase() === 'on'; } };
      case 'auditengine':
      case 'auditlogparts':
      case 'debugloglevel':
        // Audit logging belongs to the gateway's security events, not to the engine.
        return undefined;
      default:
        throw new WafLoadError(`unsupported ctl option ${opt}`, site.file, site.line);
    }
  },
};
