import { createHash } from 'node:crypto';
import { RE2JS } from 're2js';
import { BUILTIN_DETECTORS, type Detector } from './detectors.js';

/** How a detected value is replaced. */
export type MaskStyle = 'redact' | 'partial' | 'hash';

/** One detected value (never kept beyond the scan; events carry only detector names and counts). */
export interface Hit { readonly detector: string; readonly start: number; readonly end: number }

/**
 * Some of a scanner's detectors, compiled to be checked on many strings (e.g. the detectors that hit
 * a response's raw text, then run on each of its decoded strings). Made by the scanner only.
 */
export interface DetectorSet {
  readonly names: readonly string[];
  /** Shortest text any of them can confirm a value in: shorter strings are skipped with one comparison. */
  readonly minLength: number;
  /**
   * No detector in the set can match across a quote: in a JSON text without escapes each hit lies
   * inside one string, or outside all, and is the hit a scan of that decoded string finds.
   */
  readonly local: boolean;
}

/** A compiled set of detectors. */
export interface Scanner {
  readonly detectors: readonly string[];
  /** Every confirmed hit in `text`, in order, non-overlapping (the longer match wins a tie); `only` limits the detectors run. */
  scan(text: string, only?: DetectorSet): Hit[];
  /** How many hits `scan` would return, without building them into a list. */
  count(text: string, only?: DetectorSet): number;
  /**
   * The detectors that can hit the strings `text` holds, compiled once per combination: those with
   * a confirmed match in `text` (before overlaps are settled: a match spanning two JSON strings must
   * not hide another), plus custom detectors with anchors (`^`, `$`, `\b`), which can match a
   * string alone where they never match the text around it.
   */
  found(text: string): DetectorSet;
  /** The replacement of one hit of `text` (from `scan`). */
  maskHit(text: string, hit: Hit, style: MaskStyle): string;
  /** `text` with every hit replaced (`text` itself when nothing is); hit counts per detector are added to `counts`. */
  mask(text: string, style: MaskStyle, counts?: Record<string, number>, only?: DetectorSet): string;
}

/** A user-defined detector: RE2 semantics (linear time whatever the pattern), as in the WAF. */
export interface CustomDetector { readonly name: string; readonly pattern: string; readonly keepLast?: number }

interface Compiled extends Detector { readonly re2?: RE2JS; readonly anchored?: boolean }
interface Plan extends DetectorSet { readonly list: readonly Compiled[] }

function customDetector(c: CustomDetector): Compiled {
  // RE2JS refuses backreferences and lookarounds: a user pattern can never backtrack exponentially.
  const re2 = RE2JS.compile(c.pattern);
  return { name: c.name, keepLast: c.keepLast ?? 0, minLength: 1, pattern: /(?!)/g, re2, spansQuotes: true, anchored: /[$^]|\\[AzbB]/.test(c.pattern) };
}

function plan(list: readonly Compiled[]): Plan {
  return {
    names: list.map((d) => d.name),
    list,
    minLength: list.reduce((min, d) => Math.min(min, d.minLength), Number.MAX_SAFE_INTEGER),
    local: list.every((d) => d.spansQuotes !== true),
  };
}

/**
 * Appends `d`'s confirmed hits in `text` to `out`, left to right as `pattern.exec` finds them (a
 * match that fails `confirm` is passed over whole); with `first`, stops at the first.
 */
function matchesOf(d: Compiled, text: string, out: Hit[], first = false): void {
  if (text.length < d.minLength || (d.gate !== undefined && !d.gate(text))) return;
  if (d.re2 !== undefined) {
    const m = d.re2.matcher(text);
    while (m.find()) {
      if (m.end() === m.start()) continue;
      out.push({ detector: d.name, start: m.start(), end: m.end() });
      if (first) return;
    }
    return;
  }
  // Compiled once per detector; single-threaded, so setting lastIndex makes it reusable.
  const re = d.seek ?? d.pattern;
  for (let from = 0; from <= text.length;) {
    re.lastIndex = from;
    const m = re.exec(text);
    if (m === null) return;
    let value = m[0];
    let start = m.index;
    let end = start + value.length;
    if (d.seek !== undefined) {
      start -= m[1]!.length;
      // The longest prefix reaches back into the previous match, where `pattern` (which resumes
      // after it) cannot start: ask `pattern` itself from there (rare: "a@b.example@c.example").
      if (start < from) {
        d.pattern.lastIndex = from;
        const f = d.pattern.exec(text);
        if (f === null) return;
        start = f.index;
        end = start + f[0].length;
      }
      value = text.slice(start, end);
    }
    if (end === start) { from = end + 1; continue; }
    if (d.confirm === undefined || d.confirm(value)) {
      out.push({ detector: d.name, start, end });
      if (first) return;
    }
    from = end;
  }
}

/** [A-Za-z0-9] */
const isAlnum = (c: number) => (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122);

/** Replaces one detected value. `partial` keeps the detector's last letters or digits (e.g. a card's last 4) and the separators. */
export function maskValue(value: string, detector: Detector, style: MaskStyle): string {
  if (style === 'hash') return `[${detector.name}:${createHash('sha256').update(value).digest('hex').slice(0, 12)}]`;
  if (style === 'partial' && detector.keepLast > 0) {
    // Letters and digits are masked except the last keepLast of them; separators keep the shape (**** **** **** 1111).
    let alnum = 0;
    for (let i = 0; i < value.length; i++) if (isAlnum(value.charCodeAt(i))) alnum++;
    if (alnum > detector.keepLast * 2) {
      let seen = 0;
      let out = '';
      for (let i = 0; i < value.length; i++) {
        if (!isAlnum(value.charCodeAt(i))) { out += value[i]; continue; }
        seen++;
        out += seen > alnum - detector.keepLast ? value[i] : '*';
      }
      return out;
    }
  }
  return `[REDACTED:${detector.name}]`;
}

const byStart = (a: Hit, b: Hit) => a.start - b.start || (b.end - b.start) - (a.end - a.start);
// One list for every call's hits (single-threaded, and no detector calls back into a scan): most
// strings have none, and then nothing is allocated.
const scratch: Hit[] = [];

/** Fills `scratch` with `text`'s hits for `p`, in order and non-overlapping; returns how many. */
function collect(text: string, p: Plan): number {
  // Setting length is a runtime call: only when there is something to drop.
  if (scratch.length !== 0) scratch.length = 0;
  if (text.length < p.minLength) return 0;
  for (const d of p.list) matchesOf(d, text, scratch);
  if (scratch.length < 2) return scratch.length;
  scratch.sort(byStart);
  let n = 0;
  let last = -1;
  for (const h of scratch) if (h.start >= last) { scratch[n++] = h; last = h.end; }
  scratch.length = n;
  return n;
}

/**
 * Compiles detectors by name (built-ins) plus custom ones. Compiled once per config load.
 *
 * @example
 * const s = compileScanner(['card', 'email']);
 * s.mask('card 4111 1111 1111 1111, mail a@b.example', 'partial'); // 'card **** **** **** 1111, mail [REDACTED:email]'
 */
export function compileScanner(names: readonly string[], custom: readonly CustomDetector[] = []): Scanner {
  const detectors: Compiled[] = [];
  for (const n of names) {
    const d = BUILTIN_DETECTORS[n];
    if (d === undefined) throw new Error(`unknown detector "${n}" (known: ${Object.keys(BUILTIN_DETECTORS).join(', ')})`);
    detectors.push(d);
  }
  for (const c of custom) {
    try {
      detectors.push(customDetector(c));
    } catch (err) {
      throw new Error(`custom detector "${c.name}": pattern cannot be compiled with RE2 semantics: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
    }
  }
  const byName = new Map(detectors.map((d) => [d.name, d]));
  const everything = plan(detectors);
  // Subsets by which detectors they hold ('0110…'); bounded, as the combinations a body can pick are not.
  const subsets = new Map<string, Plan>();
  const planOf = (only: DetectorSet | undefined): Plan => (only ?? everything) as Plan;
  return {
    detectors: everything.names,
    scan(text, only) {
      return scratch.slice(0, collect(text, planOf(only)));
    },
    count(text, only) {
      return collect(text, planOf(only));
    },
    found(text) {
      let key = '';
      for (const d of detectors) {
        if (scratch.length !== 0) scratch.length = 0;
        if (d.anchored !== true) matchesOf(d, text, scratch, true);
        key += d.anchored === true || scratch.length > 0 ? '1' : '0';
      }
      let p = subsets.get(key);
      if (p === undefined) {
        p = plan(detectors.filter((_, i) => key[i] === '1'));
        if (subsets.size < 256) subsets.set(key, p);
      }
      return p;
    },
    maskHit(text, hit, style) {
      return maskValue(text.slice(hit.start, hit.end), byName.get(hit.detector)!, style);
    },
    mask(text, style, counts, only) {
      const n = collect(text, planOf(only));
      if (n === 0) return text;
      let out = '';
      let pos = 0;
      for (let i = 0; i < n; i++) {
        const h = scratch[i]!;
        out += text.slice(pos, h.start) + maskValue(text.slice(h.start, h.end), byName.get(h.detector)!, style);
        pos = h.end;
        if (counts !== undefined) counts[h.detector] = (counts[h.detector] ?? 0) + 1;
      }
      return out + text.slice(pos);
    },
  };
}
