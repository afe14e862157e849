import { createHash } from 'node:crypto';
import { RE2JS } from 're2js';
import { BUILTIN_DETECTORS, type Detector } from './detectors.js';

/** How a detected value is replaced. */
export type MaskStyle = 'redact' | 'partial' | 'hash';

/** One detected value (never kept beyond the scan; events carry only detector names and counts). */
export interface Hit { readonly detector: string; readonly start: number; readonly end: number }

/** A compiled set of detectors. */
export interface Scanner {
  readonly detectors: readonly string[];
  /** Every confirmed hit in `text`, in order, non-overlapping (the longer match wins a tie); `only` limits the detectors run. */
  scan(text: string, only?: ReadonlySet<string>): Hit[];
  /** `text` with every hit replaced; `hits` counts per detector are added to `counts`. */
  mask(text: string, style: MaskStyle, counts?: Record<string, number>, only?: ReadonlySet<string>): string;
}

/** A user-defined detector: RE2 semantics (linear time whatever the pattern), as in the WAF. */
export interface CustomDetector { readonly name: string; readonly pattern: string; readonly keepLast?: number }

function customDetector(c: CustomDetector): Detector {
  // RE2JS refuses backreferences and lookarounds: a user pattern can never backtrack exponentially.
  const re = RE2JS.compile(c.pattern);
  return {
    name: c.name,
    keepLast: c.keepLast ?? 0,
    pattern: { exec: () => null } as unknown as RegExp,
    confirm: undefined,
    ...({ re2: re } as object),
  };
}

/** Appends `d`'s confirmed hits in `text` to `out`. */
function matchesOf(d: Detector, text: string, out: Hit[]): Hit[] {
  const re2 = (d as { re2?: RE2JS }).re2;
  if (re2 !== undefined) {
    const m = re2.matcher(text);
    while (m.find()) {
      if (m.end() === m.start()) continue;
      out.push({ detector: d.name, start: m.start(), end: m.end() });
    }
    return out;
  }
  if (d.requires !== undefined && !d.requires.test(text)) return out;
  // Compiled once per detector; single-threaded, so resetting lastIndex makes it reusable.
  const re = d.pattern;
  re.lastIndex = 0;
  for (let m = re.exec(text); m !== null; m = re.exec(text)) {
    if (m[0].length === 0) { re.lastIndex++; continue; }
    if (d.confirm === undefined || d.confirm(m[0])) out.push({ detector: d.name, start: m.index, end: m.index + m[0].length });
  }
  return out;
}

/** Replaces one detected value. `partial` keeps the detector's last letters or digits (e.g. a card's last 4) and the separators. */
export function maskValue(value: string, detector: Detector, style: MaskStyle): string {
  if (style === 'hash') return `[${detector.name}:${createHash('sha256').update(value).digest('hex').slice(0, 12)}]`;
  if (style === 'partial' && detector.keepLast > 0) {
    // Letters and digits are masked except the last keepLast of them; separators keep the shape (**** **** **** 1111).
    let alnum = 0;
    for (const ch of value) if (/[A-Za-z0-9]/.test(ch)) alnum++;
    if (alnum > detector.keepLast * 2) {
      let seen = 0;
      let out = '';
      for (const ch of value) {
        if (!/[A-Za-z0-9]/.test(ch)) { out += ch; continue; }
        seen++;
        out += seen > alnum - detector.keepLast ? ch : '*';
      }
      return out;
    }
  }
  return `[REDACTED:${detector.name}]`;
}

/**
 * Compiles detectors by name (built-ins) plus custom ones. Compiled once per config load.
 *
 * @example
 * const s = compileScanner(['card', 'email']);
 * s.mask('card 4111 1111 1111 1111, mail a@b.example', 'partial'); // 'card ***************1111, mail [REDACTED:email]'
 */
export function compileScanner(names: readonly string[], custom: readonly CustomDetector[] = []): Scanner {
  const detectors: Detector[] = [];
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
  const scan = (text: string, only?: ReadonlySet<string>): Hit[] => {
    // One array for every detector's hits; most texts (event excerpts, log lines) have none, and then nothing is sorted.
    const all: Hit[] = [];
    for (const d of detectors) if (only === undefined || only.has(d.name)) matchesOf(d, text, all);
    if (all.length === 0) return all;
    if (all.length > 1) all.sort((a, b) => a.start - b.start || (b.end - b.start) - (a.end - a.start));
    const out: Hit[] = [];
    let last = -1;
    for (const h of all) if (h.start >= last) { out.push(h); last = h.end; }
    return out;
  };
  return {
    detectors: detectors.map((d) => d.name),
    scan,
    mask(text, style, counts, only) {
      const hits = scan(text, only);
      if (hits.length === 0) return text;
      let out = '';
      let pos = 0;
      for (const h of hits) {
        out += text.slice(pos, h.start) + maskValue(text.slice(h.start, h.end), byName.get(h.detector)!, style);
        pos = h.end;
        if (counts !== undefined) counts[h.detector] = (counts[h.detector] ?? 0) + 1;
      }
      return out + text.slice(pos);
    },
  };
}
