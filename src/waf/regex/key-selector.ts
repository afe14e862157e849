/**
 * Key selectors such as `REQUEST_COOKIES:/^_ga/` or `ctl:ruleRemoveTargetById=1;ARGS:/^pw/`
 * come from rule files but are matched against request-supplied names, so they run on
 * RE2 (re2js) too: case-insensitive, as ModSecurity compares collection keys.
 */
import { compileRe2 } from './re2js-engine.js';
import { ValueCache } from '../rules/value-cache.js';

/** What a compiled selector offers (a RegExp fits too, for callers that build their own). */
export interface KeyMatcher {
  test(key: string): boolean;
}

// Selectors are few and come from configuration, never from requests: caching by source is bounded.
const cache = new Map<string, KeyMatcher>();

/**
 * Compiles a selector body (without the slashes). Throws UnsupportedPatternError for non-RE2 syntax.
 *
 * @example
 * compileKeySelector('^_ga').test('_GA_x') // true
 */
export function compileKeySelector(source: string): KeyMatcher {
  let m = cache.get(source);
  if (!m) {
    const { re } = compileRe2(`(?i)${source}`);
    // Keys repeat across requests (TX's own names, cookie and argument names), and re2js costs
    // microseconds per test: answers are remembered, bounded (ADR 0025).
    const known = new ValueCache<boolean>(8 * 1024, 128);
    m = {
      test: (key) => {
        let r = known.get(key);
        if (r === undefined) { r = re.test(key); known.set(key, r); }
        return r;
      },
    };
    cache.set(source, m);
  }
  return m;
}
