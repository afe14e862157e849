/**
 * Description: plain string comparisons; the argument may hold macros (`%{tx.allowed_methods}`), expanded per evaluation.
 * Arguments: the string to compare with.
 * Returns: contains / containsWord / beginsWith / endsWith / streq / strmatch / within as named.
 * Example: `SecRule REQUEST_METHOD "!@within %{tx.allowed_methods}" "id:4,block"`
 */
import type { Operator, OperatorInit } from '../types.js';
import { compileMacro } from '../macro.js';

type Cmp = (input: string, arg: string) => boolean;

function make(cmp: Cmp): (init: OperatorInit) => Operator {
  return (init) => {
    const m = compileMacro(init.argument);
    return {
      // Without a macro the answer is the input's alone; a miss captures nothing (ADR 0038).
      ...(m.isConstant ? { inputOnly: true } : {}),
      evaluate(input, tx, capture) {
        const arg = m.expand(tx);
        if (!cmp(input, arg)) return false;
        if (capture) capture([arg]);
        return true;
      },
    };
  };
}

/** @example contains(init).evaluate('abc', tx, undefined) // true for argument 'b' */
export const contains = make((i, a) => i.includes(a));
/** Word-boundary containment. @example containsWord(init) */
export const containsWord = make((i, a) => {
  if (a === '') return true;
  for (let p = i.indexOf(a); p !== -1; p = i.indexOf(a, p + 1)) {
    const before = i[p - 1];
    const after = i[p + a.length];
    if ((before === undefined || !/\w/.test(before)) && (after === undefined || !/\w/.test(after))) return true;
  }
  return false;
});
/** @example beginsWith(init) */
export const beginsWith = make((i, a) => i.startsWith(a));
/** @example endsWith(init) */
export const endsWith = make((i, a) => i.endsWith(a));
/** @example streq(init) */
export const streq = make((i, a) => i === a);
/** @example strmatch(init) */
export const strmatch = make((i, a) => i.includes(a));
/** True when the input occurs inside the argument. @example within(init) */
export const within = make((i, a) => a.includes(i));
