/**
 * application/x-www-form-urlencoded (and query string) parsing on byte strings.
 */

/**
 * Decodes `+` and `%XX`; an invalid escape is kept as written (ModSecurity does the same).
 *
 * @example
 * formDecode('a+b%41%zz') // 'a bA%zz'
 */
export function formDecode(s: string): string {
  if (!/[+%]/.test(s)) return s;
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i] as string;
    if (c === '+') { out += ' '; continue; }
    if (c === '%' && i + 2 < s.length + 0 && /^[0-9a-fA-F]{2}$/.test(s.slice(i + 1, i + 3))) {
      out += String.fromCharCode(parseInt(s.slice(i + 1, i + 3), 16));
      i += 2;
      continue;
    }
    out += c;
  }
  return out;
}

/**
 * Splits `a=1&b=2` into decoded pairs; a name without `=` gets an empty value.
 *
 * @example
 * parseUrlEncoded('a=1&b') // [['a','1'],['b','']]
 */
export function parseUrlEncoded(s: string): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  if (s === '') return out;
  for (const part of s.split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    if (eq === -1) out.push([formDecode(part), '']);
    else out.push([formDecode(part.slice(0, eq)), formDecode(part.slice(eq + 1))]);
  }
  return out;
}
