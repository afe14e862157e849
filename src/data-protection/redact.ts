import { BUILTIN_DETECTOR_NAMES } from './detectors.js';
import { compileScanner } from './scanner.js';

const everything = compileScanner(BUILTIN_DETECTOR_NAMES);

/**
 * Redacts every built-in kind of sensitive value from text that is about to leave the process in a
 * log line, a security event or an audit excerpt (a WAF excerpt of a payload can carry a card number
 * or a token).
 *
 * @example
 * redactSensitive("q=' or 1=1 -- 4111111111111111"); // "q=' or 1=1 -- [REDACTED:card]"
 */
export function redactSensitive(text: string): string {
  return everything.mask(text, 'redact');
}
