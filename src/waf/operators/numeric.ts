/**
 * Description: integer comparisons (eq, ge, gt, le, lt); non-numbers count as 0, as in ModSecurity.
 * Arguments: a number or a macro such as `%{tx.inbound_anomaly_score_threshold}`.
 * Returns: the comparison of the input with the argument.
 * Example: `SecRule TX:BLOCKING_INBOUND_ANOMALY_SCORE "@ge %{tx.inbound_anomaly_score_threshold}" "id:5,deny"`
 */
import type { Operator, OperatorInit } from '../types.js';
import { compileMacro } from '../macro.js';

/** ModSecurity's atoi. @example toInt(' 12x') // 12 */
export function toInt(s: string): number {
  const n = parseInt(s.trim(), 10);
  return Number.isNaN(n) ? 0 : n;
}

function make(cmp: (a: number, b: number) => boolean): (init: OperatorInit) => Operator {
  return (init) => {
    const m = compileMacro(init.argument);
    // CRS's paranoia-level gates compare with a constant: parse it once.
    if (m.isConstant) {
      const k = toInt(init.argument);
      return { inputOnly: true, evaluate: (input) => cmp(toInt(input), k) };
    }
    return { evaluate: (input, tx) => cmp(toInt(input), toInt(m.expand(tx))) };
  };
}

/** @example eq(init) */
export const eq = make((a, b) => a === b);
/** @example ge(init) */
export const ge = make((a, b) => a >= b);
/** @example gt(init) */
export const gt = make((a, b) => a > b);
/** @example le(init) */
export const le = make((a, b) => a <= b);
/** @example lt(init) */
export const lt = make((a, b) => a < b);
