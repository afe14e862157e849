/**
 * PCRE possessive quantifiers (`x*+`, `x++`, `x?+`, `x{n,m}+`) have no RE2 form.
 * Read as greedy, a pattern matches a superset of what it matched before (a
 * possessive quantifier only removes ways to match), so a positive rule can
 * only gain matches. The loader reports every such rule (CRS 3.3 has two).
 */

/**
 * Drops the `+` of possessive quantifiers outside character classes.
 *
 * @example
 * relaxPossessive('a\\s*+;') // { source: 'a\\s*;', approximations: ['possessive quantifier read as greedy'] }
 */
export function relaxPossessive(pattern: string): { source: string; approximations: string[] } {
  // Every possessive quantifier is one of these pairs: most patterns have none, and the scan
  // below costs 1 ms warm and 6 cold on an 8 KB CRS pattern, three times per load (ADR 0039).
  if (!/[*+?}]\+/.test(pattern)) return { source: pattern, approximations: [] };
  let out = '';
  let inClass = false;
  let n = 0;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i] as string;
    if (c === '\\') { out += c + (pattern[i + 1] ?? ''); i++; continue; }
    if (inClass) { if (c === ']' && pattern[i - 1] !== '[' && !(pattern[i - 1] === '^' && pattern[i - 2] === '[')) inClass = false; out += c; continue; }
    if (c === '[') { inClass = true; out += c; continue; }
    const prev = pattern[i - 1] ?? '';
    const quantifierEnd = /[*+?}]/.test(prev) && pattern[i - 2] !== '\\' && !(prev === '?' && pattern[i - 2] === '(');
    if (c === '+' && quantifierEnd && !out.endsWith('++') && !/[*+?}]\+$/.test(out)) { n++; continue; }
    out += c;
  }
  return { source: out, approximations: n > 0 ? ['possessive quantifier read as greedy (matches a superset)'] : [] };
}
