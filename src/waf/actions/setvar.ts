/**
 * setvar: `tx.a=1`, `tx.a=+%{tx.b}`, `tx.a=-1`, `!tx.a`, `tx.a` (=1). Keys and values may hold macros.
 */
import type { ActionDef } from './types.js';
import { compileMacro } from '../macro.js';
import { toInt } from '../operators/numeric.js';
import { WafLoadError } from '../rules/errors.js';

/** @example setvar.init(rule, 'tx.anomaly_score_pl1=+%{tx.critical_anomaly_score}', site) */
export const setvar: ActionDef = {
  kind: 'nondisruptive',
  init(_rule, value, site) {
    if (!value) throw new WafLoadError('setvar needs a value', site.file, site.line);
    let v = value.trim();
    const remove = v.startsWith('!');
    if (remove) v = v.slice(1);
    const eq = v.indexOf('=');
    const target = eq === -1 ? v : v.slice(0, eq);
    const dot = target.indexOf('.');
    if (dot === -1) throw new WafLoadError(`setvar target needs collection.key: ${value}`, site.file, site.line);
    const collection = target.slice(0, dot).toUpperCase();
    const key = compileMacro(target.slice(dot + 1));
    let op: '=' | '+' | '-' = '=';
    let rhs = eq === -1 ? '1' : v.slice(eq + 1);
    if (rhs.startsWith('+')) { op = '+'; rhs = rhs.slice(1); }
    else if (rhs.startsWith('-')) { op = '-'; rhs = rhs.slice(1); }
    const val = compileMacro(rhs);
    const reads = [...key.collections, ...val.collections];
    return {
      name: 'setvar',
      requestIndependent: collection === 'TX' && reads.every((c) => c === 'TX'),
      writes: collection,
      run(tx) {
        const col = tx.collection(collection);
        const k = key.expand(tx).toLowerCase();
        if (remove) { col.remove(k); return; }
        const x = val.expand(tx);
        if (op === '=') { col.setLower(k, x); return; }
        const cur = toInt(col.getLower(k)[0]?.value ?? '0');
        col.setLower(k, String(op === '+' ? cur + toInt(x) : cur - toInt(x)));
      },
    };
  },
};
