/**
 * libinjection-equivalent detectors for the WAF's @detectSQLi / @detectXSS operators.
 *
 * Inputs are byte strings (one char per byte, as the WAF engine passes them); a string with
 * chars above U+00FF is first encoded as UTF-8 bytes so the verdict matches the C library.
 */
import { BUILTIN_SQLI_DATA } from './sqli-builtin.js';
import type { SqliData } from './sqli-data.js';
import { isSqli } from './sqli.js';
import { isXss } from './xss.js';

export type { SqliData } from './sqli-data.js';
export { loadSqliDataFile, sqliDataFromJson } from './sqli-data.js';

let sqliData: SqliData = BUILTIN_SQLI_DATA;

/**
 * Replaces the keyword and fingerprint tables used by {@link detectSQLi} (call once at load).
 * The default is libinjection's published tables; this is for a newer `sqlparse_data.json`.
 * @example
 * useSqliData(loadSqliDataFile('/etc/portcullis/sqlparse_data.json'));
 */
export function useSqliData(data: SqliData): void {
  sqliData = data;
}

/** The tables {@link detectSQLi} currently uses. */
export function currentSqliData(): SqliData {
  return sqliData;
}

function toBytes(input: string): string {
  // eslint-disable-next-line no-control-regex
  return /[^\u0000-\u00ff]/.test(input) ? Buffer.from(input, 'utf8').toString('latin1') : input;
}

/**
 * SQL injection check; `fingerprint` is the matched token-type pattern (ModSecurity's TX.0).
 * @example
 * detectSQLi("1' OR '1'='1") // { sqli: true, fingerprint: 's&sos' }
 * detectSQLi('hello world')  // { sqli: false, fingerprint: '' }
 */
export function detectSQLi(input: string): { sqli: boolean; fingerprint: string } {
  return isSqli(toBytes(input), sqliData);
}

/**
 * Cross-site scripting check.
 * @example
 * detectXSS('<script>alert(1)</script>') // true
 * detectXSS('<b>bold</b>') // false
 */
export function detectXSS(input: string): boolean {
  return isXss(toBytes(input));
}
