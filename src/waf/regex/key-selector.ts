/**
 * Key selectors such as `REQUEST_COOKIES:/^_ga/` or `ctl:ruleRemoveTargetById=1;ARGS:/^pw/`
 * come from rule files but are matched against request-supplied names, so they run on
 * RE2 (re2js) too: case-insensitive, as ModSecurity compares collection keys.
 */
import { compileRe2 } from './re2js-engine.js';

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
    m = { test: (key) => re.test(key) };
    cache.set(source, m);
  }
  return m;
}
