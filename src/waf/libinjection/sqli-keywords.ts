/**
 * The detector tables compiled for lookups that allocate nothing: keywords in an
 * open-addressing hash table probed with char codes straight from the input (ASCII
 * upper-casing on the fly), and fingerprints as integers (six bits per type letter).
 * The reference looks both up in one sorted table with bsearch; a JS Map would need the
 * word as a new upper-cased string on every lookup, which was a fifth of the detector's time.
 */
import type { SqliData } from './sqli-data.js';

const FNV_OFFSET = 0x811c9dc5 | 0;
const FNV_PRIME = 0x01000193;

const up = (k: number): number => (k >= 0x61 && k <= 0x7a ? k - 0x20 : k);

/** Letters a fingerprint can be made of get codes 1..63; six bits each, five letters fit a small integer. */
const MAX_FP_TOKENS = 5;

/** The compiled form of one SqliData. */
export class CompiledSqliData {
  readonly #keys: string[] = [];
  readonly #types: number[] = [];
  readonly #slots: Int32Array;
  readonly #mask: number;
  readonly #longest: number;
  /** Per upper-cased first letter, bit p set when some keyword has a space at p: "a b" can be a phrase only then. */
  readonly #phraseSplits = new Uint32Array(256);
  /** Upper-cased type letter -> 1..63, 0 = a letter no fingerprint can contain. */
  readonly #letter = new Uint8Array(256);
  readonly #fingerprints = new Set<number>();
  /** More than 63 distinct letters (a custom table): fingerprints are looked up as strings. */
  readonly #stringFingerprints: ReadonlySet<string> | undefined;

  constructor(data: SqliData) {
    let longest = 0;
    for (const k of data.keywords.keys()) longest = Math.max(longest, k.length);
    this.#longest = longest;
    let size = 16;
    while (size < data.keywords.size * 4) size *= 2;
    this.#slots = new Int32Array(size);
    this.#mask = size - 1;
    for (const [word, type] of data.keywords) {
      // Keywords are ASCII and never contain NUL: a key that is not could never be hit by the reference either.
      if (word.length === 0 || /[^\x01-\x7f]/.test(word)) continue;
      this.#keys.push(word);
      this.#types.push(type.charCodeAt(0));
      let i = hashRange(word, 0, word.length) & this.#mask;
      while (this.#slots[i] !== 0) i = (i + 1) & this.#mask;
      this.#slots[i] = this.#keys.length;
      const first = word.charCodeAt(0);
      for (let p = word.indexOf(' '); p > 0 && p < 32; p = word.indexOf(' ', p + 1)) this.#phraseSplits[first] = (this.#phraseSplits[first] ?? 0) | (1 << p);
    }
    let next = 1;
    const letters = new Set<number>();
    for (const fp of data.fingerprints) for (let i = 0; i < fp.length; i++) letters.add(up(fp.charCodeAt(i)));
    for (const t of this.#types) letters.add(up(t));
    for (const l of letters) if (l < 256 && next < 64) this.#letter[l] = next++;
    const fits = [...letters].every((l) => l < 256 && this.#letter[l] !== 0);
    this.#stringFingerprints = fits ? undefined : data.fingerprints;
    if (fits) {
      for (const fp of data.fingerprints) {
        if (fp.length === 0 || fp.length > MAX_FP_TOKENS) continue;
        let code = 0;
        for (let i = 0; i < fp.length; i++) code = code * 64 + this.#letter[up(fp.charCodeAt(i))]!;
        this.#fingerprints.add(code);
      }
    }
  }

  /** Keyword type (char code) of `s[from, from + len)`, ASCII case-insensitive; 0 when it is no keyword. */
  lookup(s: string, from: number, len: number): number {
    if (len === 0 || len > this.#longest) return 0;
    const h = hashRange(s, from, len);
    if (h !== h) return 0;
    for (let i = h & this.#mask; ; i = (i + 1) & this.#mask) {
      const slot = this.#slots[i]!;
      if (slot === 0) return 0;
      const key = this.#keys[slot - 1]!;
      if (key.length === len && sameUpper(key, s, from, len)) return this.#types[slot - 1]!;
    }
  }

  /** Keyword type of the phrase `a b` (two token values and one space), without building it. */
  lookupPhrase(a: string, aOff: number, aLen: number, b: string, bOff: number, bLen: number): number {
    const len = aLen + 1 + bLen;
    if (len > this.#longest || aLen === 0 || aLen > 31) return 0;
    // Most word pairs are no phrase: no keyword starting with a's letter has a space right after a's length.
    if (((this.#phraseSplits[up(a.charCodeAt(aOff)) & 0xff]! >>> aLen) & 1) === 0) return 0;
    let h = hashRange(a, aOff, aLen);
    if (h !== h) return 0;
    h = hashRange(b, bOff, bLen, Math.imul(h ^ 0x20, FNV_PRIME));
    if (h !== h) return 0;
    for (let i = h & this.#mask; ; i = (i + 1) & this.#mask) {
      const slot = this.#slots[i]!;
      if (slot === 0) return 0;
      const key = this.#keys[slot - 1]!;
      if (key.length === len && key.charCodeAt(aLen) === 0x20 && sameUpper(key, a, aOff, aLen) && sameUpperAt(key, aLen + 1, b, bOff, bLen)) {
        return this.#types[slot - 1]!;
      }
    }
  }

  /** Whether the fingerprint made of `types[0, n)` (type char codes) is in the table (case-insensitive, as the reference). */
  hasFingerprint(types: ArrayLike<number>, n: number): boolean {
    if (n === 0) return false;
    if (this.#stringFingerprints !== undefined) {
      let fp = '';
      for (let i = 0; i < n; i++) fp += String.fromCharCode(up(types[i]!));
      return this.#stringFingerprints.has(fp);
    }
    if (n > MAX_FP_TOKENS) return false;
    let code = 0;
    for (let i = 0; i < n; i++) {
      const l = this.#letter[up(types[i]!) & 0xff]!;
      if (l === 0) return false;
      code = code * 64 + l;
    }
    return this.#fingerprints.has(code);
  }
}

/** FNV-1a over the ASCII-upper-cased codes, continuing from `h`; NaN when a code is NUL or not ASCII (no keyword has one). */
function hashRange(s: string, from: number, len: number, h: number = FNV_OFFSET): number {
  for (let i = 0; i < len; i++) {
    const k = s.charCodeAt(from + i);
    if (k === 0 || k > 0x7f) return Number.NaN;
    h = Math.imul(h ^ up(k), FNV_PRIME);
  }
  return h;
}

function sameUpper(key: string, s: string, from: number, len: number): boolean {
  return sameUpperAt(key, 0, s, from, len);
}

function sameUpperAt(key: string, keyOff: number, s: string, from: number, len: number): boolean {
  for (let i = 0; i < len; i++) if (key.charCodeAt(keyOff + i) !== up(s.charCodeAt(from + i))) return false;
  return true;
}

const compiled = new WeakMap<SqliData, CompiledSqliData>();

/** The compiled form of `data`, built once per table. */
export function compileSqliData(data: SqliData): CompiledSqliData {
  let c = compiled.get(data);
  if (c === undefined) {
    c = new CompiledSqliData(data);
    compiled.set(data, c);
  }
  return c;
}
