/**
 * RE2 semantics through re2js (a JavaScript port of RE2/J): automata only, so
 * every match is linear in the input, for every input length. Patterns RE2
 * cannot express (backreferences, lookaheads) throw UnsupportedPatternError,
 * which the loader reports with the rule id; nothing falls back to backtracking.
 */
import { RE2JS } from 're2js';
import type { CompiledRegex, RegexEngine } from './engine.js';
import { UnsupportedPatternError } from './translate.js';
import { relaxPossessive } from './possessive.js';

// DOTALL = PCRE_DOTALL as ModSecurity compiles @rx; RE2's `$` without MULTILINE is
// already end-of-text only (PCRE_DOLLAR_ENDONLY). LOOKBEHINDS: re2js runs captureless
// lookbehinds in linear time (CRS 3.3's 920120 needs one).
const FLAGS = RE2JS.DOTALL | RE2JS.LOOKBEHINDS;

/**
 * Compiles one PCRE-flavoured SecLang pattern for RE2, or throws why it cannot.
 * Possessive quantifiers are read as greedy (see possessive.ts) and listed in `approximations`.
 *
 * @example
 * compileRe2('(?i)union\\s+select').test('UNION  SELECT') // true
 */
export function compileRe2(pattern: string): { re: RE2JS; approximations: string[] } {
  const { source, approximations } = relaxPossessive(pattern);
  if (/\\Z/.test(source.replace(/\\\\/g, ''))) throw new UnsupportedPatternError('\\Z (end or before final newline)');
  try {
    return { re: RE2JS.compile(source, FLAGS), approximations };
  } catch (e) {
    throw new UnsupportedPatternError((e as Error).message.replace(/^error parsing regexp: /, ''));
  }
}

/**
 * The default @rx engine.
 *
 * @example
 * re2jsRegexEngine.compile('(a+)+$').test?.('a'.repeat(100000) + 'b') // false, in linear time
 */
export const re2jsRegexEngine: RegexEngine = {
  name: 're2js',
  compile(pattern: string): CompiledRegex {
    const { re } = compileRe2(pattern);
    return {
      test: (input) => re.test(input),
      exec(input) {
        const m = re.matcher(input);
        if (!m.find()) return null;
        const out: string[] = [];
        for (let g = 0; g <= m.groupCount(); g++) out.push(m.group(g) ?? '');
        return out;
      },
    };
  },
};
