/**
 * Description: libinjection-equivalent detectors: @detectSQLi (fingerprint captured as TX.0) and @detectXSS.
 * Arguments: none.
 * Returns: true when the input tokenises as SQL injection / XSS.
 * Example: `SecRule ARGS "@detectSQLi" "id:9,block,capture"`
 */
import type { Operator } from '../types.js';
import { detectSQLi as sqli, detectXSS as xss } from '../libinjection/index.js';

/** @example detectSQLi().evaluate("1' or '1'='1", tx, undefined) // true */
export function detectSQLi(): Operator {
  return {
    pure: true,
    evaluate(input, _tx, capture) {
      const r = sqli(input);
      if (r.sqli && capture) capture([r.fingerprint]);
      return r.sqli;
    },
  };
}

/** @example detectXSS().evaluate('<script>alert(1)</script>', tx, undefined) // true */
export function detectXSS(): Operator {
  return { pure: true, evaluate: (input) => xss(input) };
}
