/** One kind of sensitive value: how to find candidates, and how to confirm one (check digits). */
export interface Detector {
  readonly name: string;
  /** Global, sticky-free pattern with bounded quantifiers only (linear on any input). */
  readonly pattern: RegExp;
  /** Confirms a candidate (Luhn, mod-97); absent: every match counts. */
  readonly confirm?: (match: string) => boolean;
  /** Characters kept in clear by `partial` masking (from the end). */
  readonly keepLast: number;
  /**
   * The length of the shortest value that can be confirmed: shorter text is not looked at. Derived
   * from the pattern and `confirm` (e.g. Luhn wants 13 digits); it must never exceed a real hit's length.
   */
  readonly minLength: number;
  /**
   * A cheap test every match passes (a necessary condition, never a sufficient one): the pattern is
   * not run on text that fails it. It only saves time; it must never change what is found.
   */
  readonly gate?: (text: string) => boolean;
  /**
   * The same matches as `pattern`, found from a rare character inside the value instead of from its
   * first character: capture 1 is the part before that character, matched by a lookbehind. Used when
   * `pattern` would try a long prefix at every position (e-mail's local part before `@`).
   */
  readonly seek?: RegExp;
  /**
   * A match can hold a quote or a backslash (a PEM block's `[\s\S]`), so in a JSON text it can run
   * from one string into the next: its hits cannot be placed in the raw text of JSON.
   */
  readonly spansQuotes?: boolean;
}

/** Luhn (ISO/IEC 7812) over the digits of a candidate. */
export function luhn(text: string): boolean {
  const digits = text.replace(/[ -]/g, '');
  if (digits.length < 13 || digits.length > 19) return false;
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = digits.charCodeAt(digits.length - 1 - i) - 48;
    if (i % 2 === 1) { d *= 2; if (d > 9) d -= 9; }
    sum += d;
  }
  return sum % 10 === 0;
}

/** ISO 13616 IBAN check digits (mod 97 = 1), computed piecewise so no big integers are needed. */
export function ibanValid(text: string): boolean {
  const s = text.replace(/ /g, '').toUpperCase();
  if (s.length < 15 || s.length > 34) return false;
  const moved = s.slice(4) + s.slice(0, 4);
  let rem = 0;
  for (const ch of moved) {
    const code = ch.charCodeAt(0);
    const value = code >= 65 ? String(code - 55) : ch;
    for (const digit of value) rem = (rem * 10 + (digit.charCodeAt(0) - 48)) % 97;
  }
  return rem === 1;
}

// Gates. A one-character indexOf is a memchr (about 1 µs per 100 KB, a short literal 3 µs); a regex
// that can start on a common character class costs 20-50 µs per 100 KB, as much as most patterns
// (IBAN's and SSN's), which therefore have no gate beyond minLength and a character they need.
const has = (ch: string) => (text: string) => text.includes(ch);
const digitRun = /\d[ -]?\d[ -]?\d[ -]?\d/;
const underscoreKey = /gh[pousr]_|sk_(?:live|test)_/;

/** `eyJ` (a base64url JSON object) somewhere: 'J' is rare, 'e' is not. */
function hasEyJ(text: string): boolean {
  for (let i = text.indexOf('J', 2); i >= 0; i = text.indexOf('J', i + 1)) {
    if (text.charCodeAt(i - 1) === 121 && text.charCodeAt(i - 2) === 101) return true;
  }
  return false;
}

/**
 * The built-in detectors. Patterns are bounded (no nested or unbounded repetition of ambiguous
 * groups), so each runs in time linear in the text it scans.
 */
export const BUILTIN_DETECTORS: Readonly<Record<string, Detector>> = Object.freeze({
  // Starts on \d, not on its lookbehind, so the engine skips non-digits quickly; the same matches as
  // (?<![\d-])(?:\d[ -]?){12,18}\d(?![\d-]). Luhn wants 13 digits.
  card: { name: 'card', pattern: /\d(?<![\d-]\d)(?:[ -]?\d){12,18}(?![\d-])/g, confirm: luhn, keepLast: 4, minLength: 13, gate: (t) => digitRun.test(t) },
  // mod 97 wants 15 characters without spaces.
  iban: { name: 'iban', pattern: /\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,4})?\b/g, confirm: ibanValid, keepLast: 4, minLength: 15 },
  ssn: { name: 'ssn', pattern: /\b(?!000|666|9\d\d)\d{3}-(?!00)\d{2}-(?!0000)\d{4}\b/g, keepLast: 4, minLength: 11, gate: has('-') },
  email: {
    name: 'email',
    pattern: /\b[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63}){1,8}\b/g,
    // From each '@': the lookbehind takes the longest local part (the leftmost start `pattern` would find).
    seek: /@(?<=\b([A-Za-z0-9._%+-]{1,64})@)[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63}){1,8}\b/g,
    keepLast: 0,
    minLength: 5,
    gate: has('@'),
  },
  phone: { name: 'phone', pattern: /(?<![\w+])\+[1-9]\d{7,14}\b/g, keepLast: 2, minLength: 9, gate: has('+') },
  jwt: { name: 'jwt', pattern: /\beyJ[A-Za-z0-9_-]{8,4096}\.eyJ[A-Za-z0-9_-]{8,16384}\.[A-Za-z0-9_-]{0,1024}/g, keepLast: 0, minLength: 24, gate: hasEyJ },
  'api-key': {
    name: 'api-key',
    pattern: /\b(?:AKIA[0-9A-Z]{16}|gh[pousr]_[A-Za-z0-9]{36}|sk_(?:live|test)_[A-Za-z0-9]{24,99}|xox[abprs]-[A-Za-z0-9-]{10,72}|AIza[0-9A-Za-z_-]{35}|glpat-[A-Za-z0-9_-]{20})\b/g,
    keepLast: 0,
    // xoxb- and 10 characters.
    minLength: 15,
    gate: (t) => t.includes('AKIA') || t.includes('AIza') || t.includes('xox') || t.includes('glpat-') || (t.includes('_') && underscoreKey.test(t)),
  },
  'private-key': {
    name: 'private-key',
    pattern: /-----BEGIN (?:RSA |EC |DSA |OPENSSH |ENCRYPTED )?PRIVATE KEY-----[\s\S]{0,16384}?-----END (?:RSA |EC |DSA |OPENSSH |ENCRYPTED )?PRIVATE KEY-----/g,
    keepLast: 0,
    // -----BEGIN PRIVATE KEY----- and -----END PRIVATE KEY-----.
    minLength: 52,
    spansQuotes: true,
    gate: (t) => t.includes('BEGIN'),
  },
});

/** Every built-in detector's name, for schema enums and error messages. */
export const BUILTIN_DETECTOR_NAMES = Object.keys(BUILTIN_DETECTORS);
