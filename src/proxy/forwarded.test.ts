import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { formatForwardedElement, parseForwardedElement } from './forwarded.js';

describe('parseForwardedElement', () => {
  it('parses the RFC 7239 examples', () => {
    assert.deepEqual(parseForwardedElement('for="_gazonk"'), { for: { kind: 'unknown' } });
    assert.deepEqual(parseForwardedElement('For="[2001:db8:cafe::17]:4711"'), { for: { kind: 'ip', ip: '2001:db8:cafe::17' } });
    assert.deepEqual(parseForwardedElement('for=192.0.2.60;proto=http;by=203.0.113.43'), {
      for: { kind: 'ip', ip: '192.0.2.60' }, proto: 'http', by: { kind: 'ip', ip: '203.0.113.43' },
    });
    assert.deepEqual(parseForwardedElement(' for=192.0.2.43 '), { for: { kind: 'ip', ip: '192.0.2.43' } });
  });

  it('unquotes quoted-pairs and skips unknown parameters and empty pairs', () => {
    assert.deepEqual(parseForwardedElement('host="a\\.example";ext="x,y";;proto=https'), { host: 'a.example', proto: 'https' });
  });

  it('accepts obfuscated ports and unknown', () => {
    assert.deepEqual(parseForwardedElement('for="192.0.2.1:_abc"'), { for: { kind: 'ip', ip: '192.0.2.1' } });
    assert.deepEqual(parseForwardedElement('for=UNKNOWN'), { for: { kind: 'unknown' } });
  });

  it('refuses malformed elements', () => {
    for (const bad of ['for', 'for=', 'for=a b', 'for="x', 'for="a"b', 'for=_', 'for=_a!b', 'for="[::1"', 'for="[1.2.3.4]"',
      'for="1.2.3.4:"', 'for="1.2.3.4:123456"', 'proto=a;proto=b', 'host="a\r\nb"', 'host="\u0000"', 'for="a\\\u0001"']) {
      assert.equal(parseForwardedElement(bad), undefined, JSON.stringify(bad));
    }
  });
});

describe('formatForwardedElement', () => {
  it('quotes IPv6 and hosts with a port, leaves tokens bare', () => {
    assert.equal(formatForwardedElement({ for: '::1', proto: 'https', host: 'api.example.com:8443' }), 'for="[::1]";proto=https;host="api.example.com:8443"');
    assert.equal(formatForwardedElement({ for: '192.0.2.1', proto: 'http', host: 'api.example.com' }), 'for=192.0.2.1;proto=http;host=api.example.com');
    assert.equal(formatForwardedElement({ for: '192.0.2.1', proto: 'http', host: '' }), 'for=192.0.2.1;proto=http');
    assert.equal(formatForwardedElement({ for: '', proto: 'http' }), 'for=unknown;proto=http');
  });

  it('round-trips through the parser', () => {
    const text = formatForwardedElement({ for: '2001:db8::1', proto: 'https', host: '[2001:db8::2]:443' });
    assert.deepEqual(parseForwardedElement(text), { for: { kind: 'ip', ip: '2001:db8::1' }, proto: 'https', host: '[2001:db8::2]:443' });
  });
});
