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

/** The containers {@link spliceJson} keeps track of. */
const OBJECT = 1;
const ARRAY = 2;

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
 * Only for a text without backslashes, where a raw string is the string it decodes to; and only for
 * hits of detectors that cannot match across a quote, so a hit lies inside one string or outside all.
 * Hits in keys, numbers and literals, or in values nested deeper than `maxDepth` containers, are
 * left as they are and not counted, as a walk of the parsed value does.
 *
 * @example
 * spliceJson('{"card":"4111111111111111","id":4111111111111111}', [hit(9, 25), hit(32, 48)], rules, 64);
 * // '{"card":"************1111","id":4111111111111111}'
 */
export function spliceJson(text: string, hits: readonly Hit[], rules: SpliceRules, maxDepth: number): string | undefined {
  const n = text.length;
  const controls = /[\x00-\x1f]/.test(text);
  const ruled = rules.keyLengths.size > 0;
  const kinds: number[] = [];
  // Per open object: whether a pair has been kept yet (a removed first pair takes the next one's comma).
  const kept: boolean[] = [];
  let out = '';
  let pos = 0;
  let h = 0;
  let i = 0;
  // A property with a rule: its value is skipped (no hits, no rules inside) until the depth it started at.
  let ruleDepth = -1;
  let ruleAction = 'mask' as 'mask' | 'remove';
  let ruleStart = 0;
  let valueStart = 0;
  let comma = -1;

  const cut = (from: number, to: number, replacement: string) => { out += text.slice(pos, from) + replacement; pos = to; };
  const skipSpace = () => { while (i < n && isSpace(text.charCodeAt(i))) i++; };
  /** The index of the closing quote of the string opening at `i`, or -1. */
  const close = (): number => {
    if (!controls) return text.indexOf('"', i + 1);
    stringEnd.lastIndex = i + 1;
    return stringEnd.test(text) ? stringEnd.lastIndex - 1 : -1;
  };
  /** Consumes a number at `i` (JSON grammar); false when there is none. */
  const number = (): boolean => {
    if (text.charCodeAt(i) === 45) i++;
    const first = text.charCodeAt(i);
    if (first === 48) i++;
    else if (first >= 49 && first <= 57) { while (isDigit(text.charCodeAt(++i))); } else return false;
    if (text.charCodeAt(i) === 46) {
      if (!isDigit(text.charCodeAt(++i))) return false;
      while (isDigit(text.charCodeAt(++i)));
    }
    const e = text.charCodeAt(i);
    if (e === 101 || e === 69) {
      const sign = text.charCodeAt(++i);
      if (sign === 43 || sign === 45) i++;
      if (!isDigit(text.charCodeAt(i))) return false;
      while (isDigit(text.charCodeAt(++i)));
    }
    return true;
  };

  for (;;) {
    // A value starts at i.
    skipSpace();
    const c = text.charCodeAt(i);
    if (c === 34) {
      const end = close();
      if (end < 0) return undefined;
      const depth = kinds.length;
      // Hits before this string lay in keys, numbers or between tokens.
      while (h < hits.length && hits[h]!.start <= i) h++;
      for (; h < hits.length && hits[h]!.start < end; h++) {
        const hit = hits[h]!;
        if (ruleDepth < 0 && depth <= maxDepth + 1 && hit.end <= end) cut(hit.start, hit.end, rules.replace(hit));
      }
      i = end + 1;
    } else if (c === 123 || c === 91) {
      kinds.push(c === 123 ? OBJECT : ARRAY);
      i++;
      skipSpace();
      const empty = text.charCodeAt(i) === (c === 123 ? 125 : 93);
      if (c === 123) {
        kept[kinds.length] = false;
        comma = -1;
        if (!empty) { if (!key()) return undefined; continue; }
      } else if (!empty) continue;
      kinds.pop();
      i++;
    } else if (c === 116 || c === 102 || c === 110) {
      const word = c === 116 ? 'true' : c === 102 ? 'false' : 'null';
      if (!text.startsWith(word, i)) return undefined;
      i += word.length;
    } else if (!number()) {
      return undefined;
    }
    // After a value: a comma, the end of containers, or the end of the text.
    for (;;) {
      if (ruleDepth === kinds.length) {
        // The value of a property with a rule ends here.
        if (ruleAction === 'remove') cut(ruleStart, i, '');
        else if (i - valueStart !== 4 || !text.startsWith('null', valueStart)) cut(valueStart, i, '"[REDACTED]"');
        ruleDepth = -1;
      }
      skipSpace();
      if (kinds.length === 0) return i === n ? out + text.slice(pos) : undefined;
      const d = text.charCodeAt(i);
      const kind = kinds[kinds.length - 1];
      if (d === 44) {
        if (kind === OBJECT) {
          comma = i;
          i++;
          skipSpace();
          if (!key()) return undefined;
        } else {
          i++;
        }
        break;
      }
      if (d !== (kind === OBJECT ? 125 : 93)) return undefined;
      kinds.pop();
      i++;
    }
  }

  /** Reads a key and its colon at `i` (after `comma`), deciding its rule; false when the text is not JSON. */
  function key(): boolean {
    if (text.charCodeAt(i) !== 34) return false;
    const end = close();
    if (end < 0) return false;
    const start = i;
    i = end + 1;
    skipSpace();
    if (text.charCodeAt(i) !== 58) return false;
    i++;
    const depth = kinds.length;
    if (ruleDepth >= 0 || depth > maxDepth + 1) return true;
    const action = ruled && rules.keyLengths.has(end - start - 1) ? rules.action(text.slice(start + 1, end)) : undefined;
    if (action === 'mask') kept[depth] = true;
    if (action !== undefined) {
      ruleDepth = depth;
      ruleAction = action;
      // A removed pair takes the comma before it; the first pair has none (the next kept one gives up its own).
      ruleStart = comma >= 0 ? comma : start;
      skipSpace();
      valueStart = i;
    } else {
      // Every pair before this one was removed (the first without a comma): this comma would now lead.
      if (!kept[depth] && comma >= 0 && ruled) cut(comma, comma + 1, '');
      kept[depth] = true;
    }
    return true;
  }
}
