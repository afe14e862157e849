/**
 * Remembers the inputs an expensive pure operator did not match, across transactions
 * (ADR 0025). Only misses are kept: a miss has no effect at all (no capture, nothing written to
 * the transaction), so answering it from memory is exactly the same as computing it. A match is
 * always computed again, so its captures (TX.0-9) and the MATCHED_VAR bookkeeping the engine
 * does around it come from this request's own evaluation.
 */
import type { Operator } from '../types.js';
import type { CompiledRegex } from '../regex/engine.js';
import { ValueCache } from '../rules/value-cache.js';

/**
 * Characters per generation for one operator (two generations, ENTRY_COST counted per entry):
 * a few hundred short values per rule, at most ~16 KB of strings per rule that ever runs.
 */
const MISS_BUDGET = 4 * 1024;
/** Longer inputs (free text) rarely repeat; they are always evaluated. */
const MISS_MAX_VALUE = 256;

/**
 * Wraps `op` when it declares itself pure (libinjection's detectors); other operators are
 * returned as they are.
 *
 * @example
 * const op = rememberMisses(rx({ argument: 'a+', ...init })); op.evaluate('b', tx, undefined) // false, and remembered
 */
export function rememberMisses(op: Operator): Operator {
  if (op.pure !== true) return op;
  // Created on first use: most rules never see a request at a given paranoia level.
  let misses: ValueCache<true> | undefined;
  const inner = op.evaluate.bind(op);
  return {
    ...op,
    evaluate(input, tx, capture) {
      misses ??= new ValueCache<true>(MISS_BUDGET, MISS_MAX_VALUE);
      if (!misses.accepts(input)) return inner(input, tx, capture);
      if (misses.get(input) === true) return false;
      const hit = inner(input, tx, capture);
      if (!hit) misses.set(input, true);
      return hit;
    },
  };
}

/**
 * The same for a compiled pattern without macros, placed by @rx behind its literal prefilter:
 * the inputs the prefilter turns away cost a few `includes` and are not remembered; only those
 * that reach the regex engine are (ADR 0025). A miss (null, false) captures nothing.
 *
 * @example withPrefilter(rememberRegexMisses(regexEngine().compile(p)), requiredLiterals(p))
 */
export function rememberRegexMisses(re: CompiledRegex): CompiledRegex {
  let misses: ValueCache<true> | undefined;
  const known = (input: string): boolean => {
    misses ??= new ValueCache<true>(MISS_BUDGET, MISS_MAX_VALUE);
    return misses.get(input) === true;
  };
  const remember = (input: string): void => { misses?.set(input, true); };
  const test = re.test?.bind(re);
  return {
    exec(input) {
      if (known(input)) return null;
      const m = re.exec(input);
      if (m === null) remember(input);
      return m;
    },
    test(input) {
      if (known(input)) return false;
      const hit = test !== undefined ? test(input) : re.exec(input) !== null;
      if (!hit) remember(input);
      return hit;
    },
  };
}
