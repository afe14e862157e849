/**
 * The default @rx engine: RE2 semantics twice over (ADR 0005). Google's RE2 through the `re2`
 * native addon (an optional dependency) runs every pattern it accepts, with its lazy DFA,
 * which re2js (a pure-JavaScript port without a DFA) lacks: on a 719-byte JSON body all CRS v4
 * patterns take ~0.65 ms native against ~5.4 ms in re2js, a 1 MB bait ~0.7 s against ~55 s,
 * and even on short values the large CRS alternations run faster natively (a benign 1 KB JSON
 * POST through CRS v4 PL1: ~20 ms against ~31 ms). re2js still decides what is expressible, and
 * runs alone where the addon is missing (not built) or refuses a pattern it accepts
 * (captureless lookbehinds): linear time either way.
 */
import { createRequire } from 'node:module';
import type { CompiledRegex, RegexEngine } from './engine.js';
import { re2jsRegexEngine } from './re2js-engine.js';
import { relaxPossessive } from './possessive.js';

interface NativeRe2 {
  test(input: string): boolean;
  exec(input: string): (string | undefined)[] | null;
}
type NativeRe2Ctor = new (source: string, flags: string) => NativeRe2;

let loaded: NativeRe2Ctor | null | undefined;

/** The `re2` addon's constructor, or null when it is not installed or did not build. */
export function nativeRe2(): NativeRe2Ctor | null {
  if (loaded === undefined) {
    try {
      loaded = createRequire(import.meta.url)('re2') as NativeRe2Ctor;
    } catch {
      loaded = null;
    }
  }
  return loaded;
}

function compileNative(pattern: string): NativeRe2 | undefined {
  const Ctor = nativeRe2();
  if (Ctor === null) return undefined;
  try {
    // `s`: ModSecurity's PCRE_DOTALL; `u`: code points, as re2js reads the same strings.
    return new Ctor(relaxPossessive(pattern).source, 'su');
  } catch {
    return undefined;
  }
}

/**
 * @example
 * re2RegexEngine.compile('(?i)union\\s+select').test?.('x UNION SELECT') // true
 */
export const re2RegexEngine: RegexEngine = {
  name: 're2',
  compile(pattern: string): CompiledRegex {
    // re2js decides what is expressible (it throws UnsupportedPatternError otherwise).
    const js = re2jsRegexEngine.compile(pattern);
    const native = compileNative(pattern);
    if (native === undefined) return js;
    return {
      test: (input) => native.test(input),
      exec(input) {
        const m = native.exec(input);
        return m === null ? null : Array.from(m, (g) => g ?? '');
      },
    };
  },
};
