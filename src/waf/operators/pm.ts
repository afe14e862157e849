/**
 * Description: case-insensitive phrase match against a space-separated list (Aho–Corasick).
 * Arguments: phrases separated by spaces.
 * Returns: true when any phrase occurs in the input; the phrase is captured as TX.0.
 * Example: `SecRule REQUEST_HEADERS:User-Agent "@pm nikto sqlmap" "id:2,deny"`
 */
import type { Operator, OperatorInit } from '../types.js';
import { AhoCorasick } from './aho-corasick.js';
import { runSteps, type Steps } from '../steps.js';

/** Builds an operator from an already-split phrase list. @example pmFromList(['a']) */
export function pmFromList(phrases: readonly string[]): Operator {
  return runSteps(pmFromListSteps(phrases));
}

/**
 * pmFromList with the automaton built in steps (a data file of thousands of phrases, ADR 0039).
 *
 * @example const op = runSteps(pmFromListSteps(['a']))
 */
export function* pmFromListSteps(phrases: readonly string[]): Steps<Operator> {
  const ac = yield* AhoCorasick.steps(phrases);
  const literals = new Set(phrases.filter((p) => p !== '').map((p) => p.toLowerCase()));
  return {
    // An empty list never matches: an empty literal set lets the engine skip the rule outright.
    literals,
    inputOnly: true,
    evaluate(input, _tx, capture) {
      const hit = ac.search(input);
      if (hit === undefined) return false;
      if (capture) capture([hit]);
      return true;
    },
  };
}

/** @example pm({ argument: 'foo bar', ...init }).evaluate('a BAR', tx, undefined) // true */
export function pm(init: OperatorInit): Operator {
  return pmFromList(init.argument.split(/\s+/).filter((s) => s !== ''));
}
