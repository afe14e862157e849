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
import { compileRe2, re2jsRegexEngine } from './re2js-engine.js';
import { relaxPossessive } from './possessive.js';
import { validationPieces } from './pieces.js';
import { runSteps, type Steps } from '../steps.js';

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
 * The addon compiles the pattern; re2js then only has to confirm it can express it (its
 * program would never run), which it does piece by piece with a step each (ADR 0039): an
 * 8 KB CRS pattern is 5 ms of re2js parsing warm, 40 ms cold. Where the addon refuses the
 * pattern or is missing, re2js compiles it whole: that program runs.
 */
function* compileSteps(pattern: string): Steps<CompiledRegex> {
  const native = compileNative(pattern);
  if (native === undefined) return re2jsRegexEngine.compile(pattern);
  // The addon's compile is a step of its own: CRS's 932300 (400 bytes of counted repeats) costs 8 ms in each engine.
  for (const piece of validationPieces(pattern)) {
    yield;
    compileRe2(piece);
  }
  return {
    test: (input) => native.test(input),
    exec(input) {
      const m = native.exec(input);
      return m === null ? null : Array.from(m, (g) => g ?? '');
    },
  };
}

/**
 * @example
 * re2RegexEngine.compile('(?i)union\\s+select').test?.('x UNION SELECT') // true
 */
export const re2RegexEngine: RegexEngine = {
  name: 're2',
  compile: (pattern) => runSteps(compileSteps(pattern)),
  compileSteps,
};
