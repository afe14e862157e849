import type { Hit } from './scanner.js';

/** What {@link spliceJson} does to the values and properties it meets. */
export interface SpliceRules {
  /** Lengths of the property names that have a rule: a key of another length is never sliced out. */
  readonly keyLengths: ReadonlySet<number>;
  /** What to do with property `name`'s value: undefined leaves it (and looks inside it). */
  action(name: string): 'mask' | 'remove' | undefined;
  /** The text that replaces a hit inside a string value (the caller counts it here). */
  replace(hit: Hit): string;
}

/** The containers {@link spliceJson} keeps track of, and what it expects next. */
const OBJECT = 1;
const ARRAY = 2;
const VALUE = 0;
const KEY = 1;
const AFTER = 2;

const isSpace = (c: number) => c === 32 || c === 10 || c === 13 || c === 9;
const isDigit = (c: number) => c >= 48 && c <= 57;
// A string's end when the text has control characters: JSON forbids them raw inside a string.
const stringEnd = /[^"\x00-\x1f]*"/y;

/**
 * Masks a JSON text in place of parsing and re-serialising it: `hits` (from a scan of the raw text,
 * in order, non-overlapping) are replaced where they lie inside a string value, and properties with
 * a rule are masked (`"[REDACTED]"`, null stays null) or removed; everything else is copied as it
 * was, byte for byte. It walks the text once, checking it is JSON as `JSON.parse` would, and gives
 * undefined when it is not (the caller then treats the body as text, as it would after a failed parse).
 *
 * Only for a text without backslashes, where a raw string is the string it decodes to (a text with
 * one gives undefined too); and only for hits of detectors that cannot match across a quote, so a
 * hit lies inside one string or outside all. Hits in keys, numbers and literals, or in containers
 * more than `maxDepth` levels below the outermost, are left as they are and not counted, as a walk
 * of the parsed value does.
 *
 * @example
 * const text = '{"card":"4111111111111111","id":4111111111111111}';
 * spliceJson(text, scanner.scan(text), rules, 64); // '{"card":"************1111","id":4111111111111111}'
 */
export function spliceJson(text: string, hits: readonly Hit[], rules: SpliceRules, maxDepth: number): string | undefined {
  // One function with plain locals: closures over a mutated index would keep it in a heap context,
  // and this loop runs for every token of the body.
  if (text.includes('\\')) return undefined;
  const n = text.length;
  const controls = /[\x00-\x1f]/.test(text);
  const ruled = rules.keyLengths.size > 0;
  // The open containers: kinds[0..depth), the innermost also in `top`.
  const kinds: number[] = [];
  let depth = 0;
  let top = 0;
  // Per open object: whether a pair has been kept yet (a removed first pair takes the next one's comma).
  const kept: boolean[] = [];
  let out = '';
  let pos = 0;
  let h = 0;
  let i = 0;
  let state = VALUE;
  // A property with a rule: its value is skipped (no hits, no rules inside) until the depth it started at.
  let ruleDepth = -1;
  let ruleAction = 'mask' as 'mask' | 'remove';
  let ruleStart = 0;
  let valueStart = 0;
  // The comma before the current pair of the innermost object, -1 for its first pair.
  let comma = -1;

  for (;;) {
    if (state === KEY) {
      while (i < n && isSpace(text.charCodeAt(i))) i++;
      if (text.charCodeAt(i) !== 34) return undefined;
      const end = stringClose(text, i, controls);
      if (end < 0) return undefined;
      const start = i;
      i = end + 1;
      while (i < n && isSpace(text.charCodeAt(i))) i++;
      if (text.charCodeAt(i) !== 58) return undefined;
      i++;
      state = VALUE;
      if (ruleDepth >= 0 || depth > maxDepth + 1 || !ruled) continue;
      const action = rules.keyLengths.has(end - start - 1) ? rules.action(text.slice(start + 1, end)) : undefined;
      if (action === undefined || action === 'mask') {
        // Every pair before this one was removed (the first without a comma): this comma would now lead.
        if (action === undefined && !kept[depth] && comma >= 0) { out += text.slice(pos, comma); pos = comma + 1; }
        kept[depth] = true;
      }
      if (action !== undefined) {
        while (i < n && isSpace(text.charCodeAt(i))) i++;
        ruleDepth = depth;
        ruleAction = action;
        // A removed pair takes the comma before it; the first pair has none (the next kept one gives up its own).
        ruleStart = comma >= 0 ? comma : start;
        valueStart = i;
      }
      continue;
    }
    if (state === VALUE) {
      while (i < n && isSpace(text.charCodeAt(i))) i++;
      const c = text.charCodeAt(i);
      state = AFTER;
      if (c === 34) {
        const end = stringClose(text, i, controls);
        if (end < 0) return undefined;
        // Hits before this string lay in keys, numbers or between tokens.
        while (h < hits.length && hits[h]!.start <= i) h++;
        for (; h < hits.length && hits[h]!.start < end; h++) {
          const hit = hits[h]!;
          if (ruleDepth < 0 && depth <= maxDepth + 1 && hit.end <= end) { out += text.slice(pos, hit.start) + rules.replace(hit); pos = hit.end; }
        }
        i = end + 1;
      } else if (c === 123 || c === 91) {
        i++;
        while (i < n && isSpace(text.charCodeAt(i))) i++;
        if (text.charCodeAt(i) === (c === 123 ? 125 : 93)) {
          i++;
        } else {
          kinds[depth++] = top = c === 123 ? OBJECT : ARRAY;
          if (c === 123) { kept[depth] = false; comma = -1; state = KEY; } else state = VALUE;
          continue;
        }
      } else if (c === 116 || c === 102 || c === 110) {
        const word = c === 116 ? 'true' : c === 102 ? 'false' : 'null';
        if (!text.startsWith(word, i)) return undefined;
        i += word.length;
      } else {
        // A number: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
        if (c === 45) i++;
        const first = text.charCodeAt(i);
        if (first === 48) i++;
        else if (first >= 49 && first <= 57) { while (isDigit(text.charCodeAt(++i))); } else return undefined;
        if (text.charCodeAt(i) === 46) {
          if (!isDigit(text.charCodeAt(++i))) return undefined;
          while (isDigit(text.charCodeAt(++i)));
        }
        const e = text.charCodeAt(i);
        if (e === 101 || e === 69) {
          const sign = text.charCodeAt(++i);
          if (sign === 43 || sign === 45) i++;
          if (!isDigit(text.charCodeAt(i))) return undefined;
          while (isDigit(text.charCodeAt(++i)));
        }
      }
    }
    // AFTER: a value ended at i (spaces after it not yet skipped for the rule's end).
    if (ruleDepth === depth) {
      // The value of a property with a rule ends here.
      if (ruleAction === 'remove') { out += text.slice(pos, ruleStart); pos = i; } else if (i - valueStart !== 4 || !text.startsWith('null', valueStart)) {
        out += text.slice(pos, valueStart) + '"[REDACTED]"';
        pos = i;
      }
      ruleDepth = -1;
    }
    while (i < n && isSpace(text.charCodeAt(i))) i++;
    if (depth === 0) return i === n ? out + text.slice(pos) : undefined;
    const d = text.charCodeAt(i);
    i++;
    if (d === 44) {
      if (top === OBJECT) { comma = i - 1; state = KEY; } else state = VALUE;
    } else if (d !== (top === OBJECT ? 125 : 93)) {
      return undefined;
    } else {
      depth--;
      top = depth > 0 ? kinds[depth - 1]! : 0;
    }
  }
}

/** The index of the closing quote of the string opening at `i`, or -1. */
function stringClose(text: string, i: number, controls: boolean): number {
  if (!controls) return text.indexOf('"', i + 1);
  stringEnd.lastIndex = i + 1;
  return stringEnd.test(text) ? stringEnd.lastIndex - 1 : -1;
}
