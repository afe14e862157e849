import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { BUILTIN_DETECTOR_NAMES, BUILTIN_DETECTORS, ibanValid, luhn } from './detectors.js';
import { compileScanner, type Hit } from './scanner.js';

// The first version's patterns, run the plain way: every pattern over the whole text, no gate, no
// length bound, no anchor search. The scanner's gates, minimum lengths, e-mail's search from '@' and
// card's reordered pattern only save time: it must find exactly what this finds.
const REFERENCE: Record<string, { source: string; confirm?: (m: string) => boolean }> = {
  card: { source: String.raw`(?<![\d-])(?:\d[ -]?){12,18}\d(?![\d-])`, confirm: luhn },
  iban: { source: String.raw`\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,4})?\b`, confirm: ibanValid },
  ssn: { source: String.raw`\b(?!000|666|9\d\d)\d{3}-(?!00)\d{2}-(?!0000)\d{4}\b` },
  email: { source: String.raw`\b[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63}){1,8}\b` },
  phone: { source: String.raw`(?<![\w+])\+[1-9]\d{7,14}\b` },
  jwt: { source: String.raw`\beyJ[A-Za-z0-9_-]{8,4096}\.eyJ[A-Za-z0-9_-]{8,16384}\.[A-Za-z0-9_-]{0,1024}` },
  'api-key': { source: BUILTIN_DETECTORS['api-key']!.pattern.source },
  'private-key': { source: BUILTIN_DETECTORS['private-key']!.pattern.source },
};

function reference(names: readonly string[], text: string): Hit[] {
  const all: Hit[] = [];
  for (const name of names) {
    const { source, confirm } = REFERENCE[name]!;
    const re = new RegExp(source, 'g');
    for (let m = re.exec(text); m !== null; m = re.exec(text)) {
      if (confirm === undefined || confirm(m[0])) all.push({ detector: name, start: m.index, end: m.index + m[0].length });
    }
  }
  all.sort((a, b) => a.start - b.start || (b.end - b.start) - (a.end - a.start));
  const out: Hit[] = [];
  let last = -1;
  for (const h of all) if (h.start >= last) { out.push(h); last = h.end; }
  return out;
}

/** A seeded generator, so a failing case can be replayed. */
function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => { s = (s * 1664525 + 1013904223) >>> 0; return s / 2 ** 32; };
}

// Pieces that sit on the detectors' edges: separators, look-alikes, boundaries, non-ASCII.
const PIECES = [
  '4111111111111111', '4111 1111 1111 1111', '4111-1111-1111-1111', '41 11 11 11 11 11 11 11', '5500005555555559', '4111111111111112',
  '1234567890123456789012', '0', '7', ' ', '-', '--', '+', '+14155550123', '+1415555', 'GB82 WEST 1234 5698 7654 32', 'DE89370400440532013000',
  'GB82WEST', '123-45-6789', '000-12-3456', '123-45-678', 'ann@corp.example', 'a.b%c+d@x-y.example.org', '@', '.', 'a', 'Z', '_',
  'eyJhbGciOiJIUzI1NiJ9', '.eyJzdWIiOiIxMjMifQ', '.abc', 'eyJ', 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjMifQ.sig-_0', 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIi.', 'AKIAIOSFODNN7EXAMPLE', 'ghp_', 'abcdefghijklmnopqrstuvwxyz0123456789',
  'sk_live_', 'xoxb-1234567890', 'AIza', 'glpat-', '-----BEGIN PRIVATE KEY-----', '\nMIIE\n', '-----END PRIVATE KEY-----',
  '-----BEGIN RSA PRIVATE KEY-----', '"', '\\', ',', ':', 'é', 'カード', '😀', '\u00a0', '\n', 'x'.repeat(70),
];

describe('combined matcher: the same hits as every pattern run plainly', () => {
  test('random texts built from the detectors\' edge pieces (seeded): identical hits, all detectors and each alone', () => {
    const next = random(15);
    const all = compileScanner(BUILTIN_DETECTOR_NAMES);
    const alone = BUILTIN_DETECTOR_NAMES.map((n) => compileScanner([n]));
    for (let round = 0; round < 3000; round++) {
      let text = '';
      const parts = 1 + Math.floor(next() * 12);
      for (let i = 0; i < parts; i++) text += PIECES[Math.floor(next() * PIECES.length)];
      assert.deepEqual(all.scan(text), reference(BUILTIN_DETECTOR_NAMES, text), `round ${round}: ${JSON.stringify(text)}`);
      const k = round % alone.length;
      assert.deepEqual(alone[k]!.scan(text), reference([BUILTIN_DETECTOR_NAMES[k]!], text), `round ${round}, ${BUILTIN_DETECTOR_NAMES[k]}`);
    }
  });

  test('overlapping matches of two detectors: the earlier wins, the longer at the same start; the loser is not counted', () => {
    const s = compileScanner(['email', 'api-key']);
    // The key is also an e-mail's local part: the e-mail starts at the same place and is longer.
    assert.deepEqual(s.scan('AKIAIOSFODNN7EXAMPLE@corp.example').map((h) => h.detector), ['email']);
    const counts: Record<string, number> = {};
    assert.equal(s.mask('k=AKIAIOSFODNN7EXAMPLE@corp.example', 'redact', counts), 'k=[REDACTED:email]');
    assert.deepEqual(counts, { email: 1 });
    // An SSN-shaped run inside a card-shaped one: the card starts first.
    const t = compileScanner(['ssn', 'card']);
    assert.deepEqual(t.scan('4111-1111-1111-1111 123-45-6789').map((h) => [h.detector, h.start]), [['card', 0], ['ssn', 20]]);
  });

  test('a card number inside a longer digit run is not a card (nor is a Luhn-valid tail); one in 2-digit groups is', () => {
    const s = compileScanner(['card']);
    assert.deepEqual(s.scan('order 94111111111111111 and 41111111111111110000'), []);
    assert.deepEqual(s.scan('id-4111111111111111'), [], 'a dash before the digits joins them to something else');
    // The first version looked for a card only when the text had a 4-digit run somewhere (its gate was not sound).
    assert.equal(s.mask('card 41 11 11 11 11 11 11 11.', 'redact'), 'card [REDACTED:card].');
  });

  test('unicode around and between values: offsets are UTF-16 units, masks keep the text around them', () => {
    const s = compileScanner(['card', 'email', 'iban']);
    const text = '😀 カード 4111 1111 1111 1111 — 支払い ann@corp.example é GB82 WEST 1234 5698 7654 32 ✓';
    assert.equal(s.mask(text, 'partial'), '😀 カード **** **** **** 1111 — 支払い [REDACTED:email] é **** **** **** **** **54 32 ✓');
    // A non-ASCII digit or letter is not one for a pattern: no hit across it.
    assert.deepEqual(s.scan('4111 1111 ١١١١ 1111 ann@cörp.example'.replace('ö', 'o')).map((h) => h.detector), ['email']);
  });

  test('long texts without a match finish (bounded patterns, no catastrophic backtracking) and find nothing', () => {
    const s = compileScanner(BUILTIN_DETECTOR_NAMES);
    const hostile = [
      '1 '.repeat(100_000), '1-'.repeat(100_000), 'a'.repeat(200_000) + '@', `${'a.'.repeat(50_000)}@${'b-'.repeat(50_000)}`,
      'eyJ'.repeat(60_000), `-----BEGIN PRIVATE KEY-----${'x'.repeat(100_000)}`, 'AKIA'.repeat(50_000), '+1'.repeat(100_000),
    ];
    for (const text of hostile) assert.deepEqual(s.scan(text), reference(BUILTIN_DETECTOR_NAMES, text), text.slice(0, 20));
  });

  test('found(): every detector with a match, before overlaps are settled; anchored custom patterns always', () => {
    const s = compileScanner(['card', 'private-key'], [{ name: 'whole', pattern: '^EMP-[0-9]{6}$' }, { name: 'emp', pattern: 'EMP-[0-9]{6}' }]);
    // The key block spans the card in the raw text; in the decoded strings the card stands alone.
    const raw = '["-----BEGIN PRIVATE KEY-----","4111111111111111","-----END PRIVATE KEY-----"]';
    assert.deepEqual(s.scan(raw).map((h) => h.detector), ['private-key']);
    assert.deepEqual(s.found(raw).names, ['card', 'private-key', 'whole']);
    assert.deepEqual(s.found('{"x":"nothing"}').names, ['whole']);
    assert.equal(s.found(raw).local, false);
    assert.equal(compileScanner(['card', 'email']).found('a@b.example').local, true);
  });
});
