/**
 * A bounded, single-pass JSON pre-scan run before `JSON.parse`.
 *
 * Hand-written because `JSON.parse` offers no hook before it has built the whole tree: it
 * silently keeps the last of duplicate keys, recurses as deep as the input nests, and a
 * reviver only sees keys once parsing is complete. This scanner walks the bytes once with
 * an explicit stack (no recursion, no regular expressions), stops at the first limit
 * exceeded, and reports duplicate and prototype-polluting keys. It accepts exactly the
 * JSON grammar (RFC 8259); `JSON.parse` then runs on input already known to be safe.
 */

/** Limits checked while scanning. */
export interface JsonLimits {
  readonly maxDepth: number;
  readonly maxStringLength: number;
  readonly maxArrayLength: number;
  readonly maxProperties: number;
}

/** Why a document was refused, with the JSON pointer (of the container) where it happened. */
export interface ScanProblem {
  readonly pointer: string;
  readonly reason: string;
}

const FORBIDDEN = new Set(['__proto__', 'constructor', 'prototype']);

interface Frame {
  readonly array: boolean;
  count: number;
  keys: Set<string> | undefined;
  /** The member being read (objects); an array's is its index, count - 1. */
  key: string;
}

/** A key as a JSON pointer segment (RFC 6901). */
const escapeKey = (k: string): string => (k.includes('~') || k.includes('/') ? k.replaceAll('~', '~0').replaceAll('/', '~1') : k);

/** Characters a JSON string holds as they are (no quote, backslash or control character); sticky, used from scanString. */
const PLAIN = /[^"\\\u0000-\u001f]*/y;

const WS = (c: number): boolean => c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;

/**
 * Scans `text`; returns undefined when it is well-formed and within limits.
 *
 * @example
 * const problem = scanJson('{"a":1,"a":2}', limits); // { pointer: '/a', reason: 'duplicate key' }
 */
export function scanJson(text: string, limits: JsonLimits): ScanProblem | undefined {
  const stack: Frame[] = [];
  const n = text.length;
  let i = 0;
  const skip = (): void => { while (i < n && WS(text.charCodeAt(i))) i++; };
  // Pointers are built from the stack only for a problem: a clean document (the usual case) pays for none.
  const seg = (f: Frame): string => (f.array ? String(f.count - 1) : escapeKey(f.key));
  const here = (): string => { let p = ''; for (let d = 0; d < stack.length - 1; d++) p += `/${seg(stack[d]!)}`; return p; };
  const valuePath = (): string => (stack.length === 0 ? '' : `${here()}/${seg(stack[stack.length - 1]!)}`);
  // Syntax errors point at the whole body: where a malformed document breaks says little and may echo input.
  const bad = (reason: string, pointer?: () => string): ScanProblem => ({ pointer: reason.startsWith('invalid JSON') ? '' : (pointer ?? here)(), reason });

  // Returns the end index (after the closing quote) or a problem; `at` is where a too-long string is reported.
  const scanString = (at: () => string): number | ScanProblem => {
    const start = i;
    i++;
    let escaped = false;
    while (i < n) {
      // Runs of ordinary characters are skipped by the regex engine rather than one by one here.
      PLAIN.lastIndex = i;
      PLAIN.test(text);
      i = PLAIN.lastIndex;
      if (i - start - 1 > limits.maxStringLength) return bad('string too long', at);
      if (i >= n) break;
      const c = text.charCodeAt(i);
      if (c === 0x22) { i++; return escaped ? -(i) : i; }
      if (c < 0x20) return bad('invalid JSON: control character in string');
      if (c === 0x5c) {
        escaped = true;
        const e = text.charCodeAt(i + 1);
        if (e === 0x75) {
          for (let k = 2; k < 6; k++) {
            const h = text.charCodeAt(i + k);
            if (!((h >= 0x30 && h <= 0x39) || (h >= 0x41 && h <= 0x46) || (h >= 0x61 && h <= 0x66))) return bad('invalid JSON: bad escape');
          }
          i += 6;
        } else if (e === 0x22 || e === 0x5c || e === 0x2f || e === 0x62 || e === 0x66 || e === 0x6e || e === 0x72 || e === 0x74) {
          i += 2;
        } else {
          return bad('invalid JSON: bad escape');
        }
      } else {
        i++;
      }
      if (i - start - 1 > limits.maxStringLength) return bad('string too long', at);
    }
    return bad('invalid JSON: unterminated string');
  };

  const scanNumber = (): ScanProblem | undefined => {
    const start = i;
    if (text.charCodeAt(i) === 0x2d) i++;
    const digits = (): number => { const s = i; while (i < n && text.charCodeAt(i) >= 0x30 && text.charCodeAt(i) <= 0x39) i++; return i - s; };
    const intStart = i;
    const d = digits();
    if (d === 0 || (d > 1 && text.charCodeAt(intStart) === 0x30)) return bad('invalid JSON: bad number');
    if (text.charCodeAt(i) === 0x2e) { i++; if (digits() === 0) return bad('invalid JSON: bad number'); }
    const e = text.charCodeAt(i);
    if (e === 0x65 || e === 0x45) {
      i++;
      const sign = text.charCodeAt(i);
      if (sign === 0x2b || sign === 0x2d) i++;
      if (digits() === 0) return bad('invalid JSON: bad number');
    }
    if (i - start > 1000) return bad('number too long');
    return undefined;
  };

  // A value is expected at i. Containers push a frame; scalars are consumed whole.
  // The value's pointer is the top frame's current member (valuePath), built only for a problem.
  const scanValue = (): ScanProblem | undefined => {
    skip();
    const c = text.charCodeAt(i);
    if (c === 0x7b || c === 0x5b) {
      if (stack.length >= limits.maxDepth) return bad('nesting too deep', valuePath);
      stack.push({ array: c === 0x5b, count: 0, keys: c === 0x7b ? new Set() : undefined, key: '' });
      i++;
      return undefined;
    }
    if (c === 0x22) { const r = scanString(valuePath); return typeof r === 'number' ? undefined : r; }
    if (c === 0x2d || (c >= 0x30 && c <= 0x39)) return scanNumber();
    const lit = c === 0x74 ? 'true' : c === 0x66 ? 'false' : c === 0x6e ? 'null' : undefined;
    if (lit !== undefined && text.startsWith(lit, i)) { i += lit.length; return undefined; }
    return bad('invalid JSON', valuePath);
  };

  const first = scanValue();
  if (first !== undefined) return first;
  while (stack.length > 0) {
    const f = stack[stack.length - 1]!;
    skip();
    const c = text.charCodeAt(i);
    const close = f.array ? 0x5d : 0x7d;
    if (c === close && f.count === 0) { i++; stack.pop(); continue; }
    if (f.count > 0) {
      if (c === close) { i++; stack.pop(); continue; }
      if (c !== 0x2c) return bad('invalid JSON');
      i++;
      skip();
    }
    f.count++;
    if (f.array) {
      if (f.count > limits.maxArrayLength) return bad('array too long');
      const p = scanValue();
      if (p !== undefined) return p;
      continue;
    }
    if (f.count > limits.maxProperties) return bad('too many properties');
    if (text.charCodeAt(i) !== 0x22) return bad('invalid JSON: expected a key');
    const start = i;
    const end = scanString(here);
    if (typeof end !== 'number') return end;
    const raw = text.slice(start + 1, Math.abs(end) - 1);
    // Escaped keys are decoded so "\u005f_proto__" is caught like "__proto__".
    const key = end < 0 ? JSON.parse(text.slice(start, -end)) as string : raw;
    f.key = key;
    if (FORBIDDEN.has(key) || f.keys!.has(key)) {
      const keyPath = valuePath();
      return bad(FORBIDDEN.has(key) ? 'forbidden key' : 'duplicate key', () => (keyPath.length > 200 ? here() : keyPath));
    }
    f.keys!.add(key);
    skip();
    if (text.charCodeAt(i) !== 0x3a) return bad('invalid JSON: expected ":"');
    i++;
    const p = scanValue();
    if (p !== undefined) return p;
  }
  skip();
  if (i !== n) return bad('invalid JSON: trailing data');
  return undefined;
}
