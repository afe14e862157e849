/**
 * The regex engine behind @rx, behind one interface so it can be swapped (for
 * example for an RE2 port such as re2js) without touching operators.
 *
 * Default: a hybrid on V8's own engines. Short inputs use the backtracking
 * engine (fast); inputs longer than `LINEAR_THRESHOLD` use V8's linear-time
 * engine (`l` flag, enabled at startup with --enable-experimental-regexp-engine),
 * so super-linear patterns cannot stall the event loop on large bodies.
 * `translatePcre` refuses what neither RE2 nor the linear engine can run.
 */
import { setFlagsFromString } from 'node:v8';
import { translatePcre } from './translate.js';

/** A compiled pattern: `exec` returns groups 0..n or null. */
export interface CompiledRegex {
  exec(input: string): readonly string[] | null;
}

/** Something that compiles PCRE-flavoured SecLang patterns. */
export interface RegexEngine {
  readonly name: string;
  compile(pattern: string): CompiledRegex;
}

/** Inputs longer than this (in bytes) run on the linear-time engine. */
export const LINEAR_THRESHOLD = 1024;

const groups = (m: RegExpExecArray | null): readonly string[] | null => (m === null ? null : Array.from(m, (g) => g ?? ''));

/**
 * Plain JS RegExp (backtracking). ModSecurity compiles @rx with DOTALL and
 * DOLLAR_ENDONLY: that is JS's `s` flag without `m`.
 *
 * @example
 * jsRegexEngine.compile('(?i)^a.b$').exec('A\nB') // ['A\nB']
 */
export const jsRegexEngine: RegexEngine = {
  name: 'js-backtracking',
  compile(pattern: string): CompiledRegex {
    const { source, flags } = translatePcre(pattern);
    const re = new RegExp(source, flags);
    return { exec: (input) => groups(re.exec(input)) };
  },
};

let linearEnabled = false;
const nonLinear: string[] = [];

/** Patterns compiled so far that have no linear-time form in this engine. @example nonLinearPatterns() // ['^bytes=(?:...){63}'] */
export function nonLinearPatterns(): readonly string[] {
  return nonLinear;
}

function enableLinear(): void {
  if (linearEnabled) return;
  // Process-wide V8 switch; it only adds the `l` flag and changes nothing else.
  setFlagsFromString('--enable-experimental-regexp-engine');
  linearEnabled = true;
}

/**
 * Backtracking for short inputs, V8 linear-time engine for long ones.
 *
 * @example
 * hybridRegexEngine.compile('[a-z]+x[a-z]+').exec('a'.repeat(100000)) // null, in linear time
 */
export const hybridRegexEngine: RegexEngine = {
  name: 'v8-hybrid-linear',
  compile(pattern: string): CompiledRegex {
    enableLinear();
    const fast = jsRegexEngine.compile(pattern);
    const { source, flags } = translatePcre(pattern, { expandCase: true });
    let linear: RegExp;
    try {
      linear = new RegExp(source, `${flags}l`);
    } catch {
      // V8's linear engine refuses some RE2-valid forms (large counted repeats of groups).
      // Keep backtracking for them and list them so the loader can report them.
      nonLinear.push(pattern);
      return fast;
    }
    return { exec: (input) => (input.length > LINEAR_THRESHOLD ? groups(linear.exec(input)) : fast.exec(input)) };
  },
};

let current: RegexEngine = hybridRegexEngine;

/** The engine @rx compiles with (set before loading rules). */
export function regexEngine(): RegexEngine {
  return current;
}

/**
 * Swaps the regex engine, e.g. for an RE2 port.
 *
 * @example
 * setRegexEngine(jsRegexEngine)
 */
export function setRegexEngine(engine: RegexEngine): void {
  current = engine;
}
