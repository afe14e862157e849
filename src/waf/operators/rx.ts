/**
 * Description: regular-expression match (PCRE syntax, RE2 subset) through the swappable regex engine.
 * Arguments: the pattern. A pattern with macros (CRS 3.3's 920480:
 * `^%{tx.allowed_request_content_type_charset}$`) is compiled per distinct expansion,
 * from a small bounded cache; a pattern without macros is compiled once at load.
 * Returns: true when the pattern matches anywhere; groups 0-9 go to TX.0-9 with `capture`.
 * Example: `SecRule ARGS "@rx (?i)union\s+select" "id:1,deny"`
 */
import type { Operator, OperatorInit } from '../types.js';
import { regexEngine, type CompiledRegex } from '../regex/engine.js';
import { PIECE_LENGTH } from '../regex/pieces.js';
import { runSteps, type Steps } from '../steps.js';
import { compileMacro } from '../macro.js';
import { requiredLiterals, withPrefilter } from '../regex/prefilter.js';
import { rememberRegexMisses } from './miss-cache.js';

/** Compiles with the current engine behind a literal prefilter (regex/prefilter.ts). */
const compile = (source: string): CompiledRegex => withPrefilter(regexEngine().compile(source), requiredLiterals(source));

// Expansions come from TX values the rules set, so they are few; the bound keeps a rule
// that expands request data from growing memory without limit.
const MAX_EXPANSIONS = 32;

/**
 * Patterns that match every input whole under the engine's dotall flag: CRS 920450 and 920451
 * run `^.*$` with `capture` on every request header name, only to copy it to TX.0. A native
 * RE2 call (a UTF-8 copy of the input and an array back) per header was a sixth of a browser
 * GET's engine time (ADR 0036).
 */
const MATCH_ALL: ReadonlySet<string> = new Set(['^.*$', '^.*', '.*$', '.*']);

/** Whether the engine answers a MATCH_ALL pattern as the shortcut does: every input, whole. */
function matchesAllWhole(re: CompiledRegex): boolean {
  for (const probe of ['', 'a\nb\r\u00ff\u0000 x']) {
    const m = re.exec(probe);
    if (m === null || m.length !== 1 || m[0] !== probe) return false;
  }
  return true;
}

/**
 * rx with a yield between bounded pieces of a long constant pattern's compilation (the
 * engine's compileSteps, then the literal analysis): a reload's slices (ADR 0039).
 *
 * @example const op = runSteps(rxSteps({ argument: 'a+', ...init }))
 */
export function* rxSteps(init: OperatorInit): Steps<Operator> {
  if (MATCH_ALL.has(init.argument) && matchesAllWhole(regexEngine().compile(init.argument))) {
    return { inputOnly: true, evaluate(input, _tx, capture) { capture?.([input]); return true; } };
  }
  const macro = compileMacro(init.argument);
  if (!macro.isConstant) {
    const cache = new Map<string, CompiledRegex>();
    return matching((tx) => {
      const source = macro.expand(tx);
      let re = cache.get(source);
      if (!re) {
        // An expansion RE2 cannot compile throws out of evaluate(); the gateway fails the request closed.
        re = compile(source);
        if (cache.size >= MAX_EXPANSIONS) cache.delete(cache.keys().next().value as string);
        cache.set(source, re);
      }
      return re;
    }, undefined, false);
  }
  const engine = regexEngine();
  const compiled = engine.compileSteps === undefined ? engine.compile(init.argument) : yield* engine.compileSteps(init.argument);
  // On an 8 KB CRS pattern the analysis takes as long as a piece of the engine's (1-4 ms warm, 20 cold).
  if (init.argument.length > PIECE_LENGTH) yield;
  const literals = requiredLiterals(init.argument);
  // Misses of a constant pattern are remembered across requests, behind the prefilter (ADR 0025).
  const re = withPrefilter(rememberRegexMisses(compiled), literals);
  return matching(() => re, literals, true);
}

/** @example rx({ argument: 'a+', ...init }).evaluate('caat', tx, undefined) // true */
export const rx = Object.assign((init: OperatorInit): Operator => runSteps(rxSteps(init)), { steps: rxSteps });

function matching(compiled: (tx: Parameters<Operator['evaluate']>[1]) => CompiledRegex, literals: ReadonlySet<string> | undefined, constant: boolean): Operator {
  return {
    ...(literals === undefined ? {} : { literals }),
    // A constant pattern's answer is the input's alone, and a miss captures nothing (ADR 0038).
    ...(constant ? { inputOnly: true } : {}),
    evaluate(input, tx, capture) {
      const re = compiled(tx);
      // Without `capture` only the yes/no answer counts: engines answer that faster (re2js: DFA).
      if (!capture) return re.test ? re.test(input) : re.exec(input) !== null;
      const m = re.exec(input);
      if (m === null) return false;
      capture(m.slice(0, 10));
      return true;
    },
  };
}
