/**
 * Description: regular-expression match (PCRE syntax, RE2 subset) through the swappable regex engine.
 * Arguments: the pattern; macros are not expanded (compiled once at load).
 * Returns: true when the pattern matches anywhere; groups 0-9 go to TX.0-9 with `capture`.
 * Example: `SecRule ARGS "@rx (?i)union\s+select" "id:1,deny"`
 */
import type { Operator, OperatorInit } from '../types.js';
import { regexEngine } from '../regex/engine.js';

/** @example rx({ argument: 'a+', ...init }).evaluate('caat', tx, undefined) // true */
export function rx(init: OperatorInit): Operator {
  const re = regexEngine().compile(init.argument);
  return {
    evaluate(input, _tx, capture) {
      // Without `capture` only the yes/no answer counts: engines answer that faster (re2js: DFA).
      if (!capture) return re.test ? re.test(input) : re.exec(input) !== null;
      const m = re.exec(input);
      if (m === null) return false;
      capture(m.slice(0, 10));
      return true;
    },
  };
}
