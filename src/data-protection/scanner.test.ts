import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ibanValid, luhn } from './detectors.js';
import { redactSensitive } from './redact.js';
import { compileScanner } from './scanner.js';

describe('sensitive data detectors', () => {
  test('cards are confirmed by Luhn, IBANs by mod 97: look-alikes are left alone', () => {
    assert.equal(luhn('4111 1111 1111 1111'), true);
    assert.equal(luhn('4111 1111 1111 1112'), false);
    assert.equal(ibanValid('GB82 WEST 1234 5698 7654 32'), true);
    assert.equal(ibanValid('GB82 WEST 1234 5698 7654 33'), false);
    const s = compileScanner(['card', 'iban']);
    assert.deepEqual(s.scan('order 4111-1111-1111-1111 and 4111-1111-1111-1112, iban DE89370400440532013000').map((h) => h.detector), ['card', 'iban']);
  });

  test('each built-in detector finds its kind and masks it in the chosen style', () => {
    const s = compileScanner(['card', 'ssn', 'email', 'phone', 'jwt', 'api-key', 'private-key']);
    const text = 'c=5500005555555559 ssn=123-45-6789 mail=ann@corp.example tel=+14155550123 t=eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjMifQ.abc k=AKIAIOSFODNN7EXAMPLE -----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----';
    assert.deepEqual(s.scan(text).map((h) => h.detector), ['card', 'ssn', 'email', 'phone', 'jwt', 'api-key', 'private-key']);
    const partial = s.mask(text, 'partial');
    assert.match(partial, /c=\*{12}5559 ssn=\*\*\*-\*\*-6789 mail=\[REDACTED:email\] tel=\+\*{9}23 t=\[REDACTED:jwt\] k=\[REDACTED:api-key\] \[REDACTED:private-key\]$/);
    assert.match(s.mask('c=5500005555555559', 'hash'), /^c=\[card:[0-9a-f]{12}\]$/);
    assert.equal(s.mask('ssn 000-12-3456 and 666-12-3456 are not issued', 'redact'), 'ssn 000-12-3456 and 666-12-3456 are not issued');
  });

  test('custom detectors use RE2 semantics; a backreference is refused at compile time', () => {
    const s = compileScanner([], [{ name: 'employee', pattern: 'EMP-[0-9]{6}' }]);
    assert.equal(s.mask('by EMP-123456.', 'redact'), 'by [REDACTED:employee].');
    assert.throws(() => compileScanner([], [{ name: 'bad', pattern: '(a)\\1' }]), /custom detector "bad": pattern cannot be compiled/);
  });

  test('event excerpts are redacted before they leave the process', () => {
    assert.equal(redactSensitive("q=' or 1=1 -- 4111111111111111"), "q=' or 1=1 -- [REDACTED:card]");
  });
});
