/**
 * The regex engine behind @rx, behind one interface so it can be swapped (for
 * example for an RE2 port such as re2js) without touching operators.
 *
 * Default: RE2 (native `re2` for long inputs, re2js for short ones and where the addon
 * is missing; linear time for every input; ADRs 0004 and 0005). The
 * alternatives stay for measurement: V8's linear engine (`l` flag, cannot compile
 * 22 CRS v4 patterns), and a hybrid that backtracks on inputs up to
 * `LINEAR_THRESHOLD` (not linear-time on short inputs: never the default).
 * No engine silently falls back to backtracking: a pattern an engine cannot run
 * throws UnsupportedPatternError and the loader reports the rule.
 */
import { setFlagsFromString } from 'node:v8';
import { translatePcre, UnsupportedPatternError } from './translate.js';
import { relaxPossessive } from './possessive.js';
import { re2RegexEngine } from './re2-engine.js';
import type { Steps } from '../steps.js';

/** A compiled pattern: `exec` returns groups 0..n or null. */
export interface CompiledRegex {
  exec(input: string): readonly string[] | null;
  /** Match without captures (engines may answer faster); absent means `exec(input) !== null`. */
  test?(input: string): boolean;
}

/** Something that compiles PCRE-flavoured SecLang patterns. */
export interface RegexEngine {
  readonly name: string;
  compile(pattern: string): CompiledRegex;
  /** `compile` with a yield between bounded pieces of work (a reload's slices, ADR 0039); absent: one piece. */
  compileSteps?(pattern: string): Steps<CompiledRegex>;
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

/**
 * @deprecated Nothing falls back any more; read `RuleSet.regexReports` instead. Always empty.
 * @example nonLinearPatterns() // []
 */
export function nonLinearPatterns(): readonly string[] {
  return [];
}

function enableLinear(): void {
  if (linearEnabled) return;
  // Process-wide V8 switch; it only adds the `l` flag and changes nothing else.
  setFlagsFromString('--enable-experimental-regexp-engine');
  linearEnabled = true;
}

/**
 * V8's linear-time engine for every input. Patterns it cannot compile (counted
 * repeats of groups, lazy bounded repeats) throw UnsupportedPatternError.
 *
 * @example
 * v8LinearRegexEngine.compile('(a+)+$').exec('a'.repeat(100000) + 'b') // null, in linear time
 */
export const v8LinearRegexEngine: RegexEngine = {
  name: 'v8-linear',
  compile(pattern: string): CompiledRegex {
    enableLinear();
    const { source, flags } = translatePcre(relaxPossessive(pattern).source, { expandCase: true });
    let re: RegExp;
    try {
      re = new RegExp(source, `${flags}l`);
    } catch (e) {
      throw new UnsupportedPatternError(`V8 linear engine: ${(e as Error).message}`);
    }
    return { exec: (input) => groups(re.exec(input)), test: (input) => re.test(input) };
  },
};

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
    } catch (e) {
      // V8's linear engine refuses some RE2-valid forms (large counted repeats of groups):
      // refuse the pattern (the loader reports it) rather than backtrack on long inputs.
      throw new UnsupportedPatternError(`V8 linear engine: ${(e as Error).message}`);
    }
    return { exec: (input) => (input.length > LINEAR_THRESHOLD ? groups(linear.exec(input)) : fast.exec(input)) };
  },
};

let current: RegexEngine = re2RegexEngine;

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
