/**
 * Description: @unconditionalMatch always matches; @noMatch never does.
 * Arguments: none.
 * Returns: true / false.
 * Example: `SecRule REQUEST_URI "@unconditionalMatch" "id:6,pass,setvar:tx.x=1"`
 */
import type { Operator } from '../types.js';

/** @example unconditionalMatch().evaluate('', tx, undefined) // true */
export const unconditionalMatch = (): Operator => ({ inputOnly: true, evaluate: () => true });
/** @example noMatch().evaluate('', tx, undefined) // false */
export const noMatch = (): Operator => ({ inputOnly: true, evaluate: () => false });
