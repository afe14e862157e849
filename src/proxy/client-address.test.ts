import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { IncomingHttpHeaders } from 'node:http';
import { CidrMatcher } from '../util/cidr.js';
import { parseHost, resolveClient, type ResolveClientOptions } from './client-address.js';

const trusted = new CidrMatcher(['10.0.0.0/8', 'fd00::/8']);
const FWD: ResolveClientOptions = { header: 'forwarded' };

function resolve(peer: string, headers: IncomingHttpHeaders, options?: ResolveClientOptions, tls = false) {
  return resolveClient({ peer, peerPort: 40000, tls, headers }, trusted, options);
}

describe('resolveClient: untrusted peer', () => {
  it('ignores a spoofed X-Forwarded-For, -Proto and -Host (attack)', () => {
    const c = resolve('203.0.113.9', {
      host: 'api.example.com',
      'x-forwarded-for': '1.1.1.1',
      'x-forwarded-proto': 'https',
      'x-forwarded-host': 'evil.example',
    });
    assert.deepEqual(c, { ip: '203.0.113.9', peer: '203.0.113.9', port: 40000, tls: false, proto: 'http', host: 'api.example.com' });
  });

  it('ignores a spoofed Forwarded header (attack)', () => {
    const c = resolve('203.0.113.9', { host: 'a.example', forwarded: 'for=1.1.1.1;proto=https;host=evil.example' }, FWD);
    assert.equal(c.ip, '203.0.113.9');
    assert.equal(c.proto, 'http');
    assert.equal(c.host, 'a.example');
  });

  it('normalises an IPv4-mapped peer and takes proto from the listener', () => {
    const c = resolve('::ffff:203.0.113.9', { host: 'a.example' }, undefined, true);
    assert.equal(c.ip, '203.0.113.9');
    assert.equal(c.peer, '203.0.113.9');
    assert.equal(c.proto, 'https');
    assert.equal(c.tls, true);
  });

  it('gives an empty host for a missing or invalid Host header', () => {
    assert.equal(resolve('203.0.113.9', {}).host, '');
    assert.equal(resolve('203.0.113.9', { host: 'a.example/../admin' }).host, '');
    assert.equal(resolve('203.0.113.9', { host: 'user@a.example' }).host, '');
  });
});

describe('resolveClient: trusted peer, X-Forwarded-For', () => {
  it('takes the rightmost untrusted hop, not a spoofed leftmost one (attack)', () => {
    // The client sent "X-Forwarded-For: 1.1.1.1"; our proxy appended the address it saw.
    const c = resolve('10.0.0.2', { 'x-forwarded-for': '1.1.1.1, 203.0.113.9' });
    assert.equal(c.ip, '203.0.113.9');
    assert.equal(c.peer, '10.0.0.2');
  });

  it('skips trusted hops across several header lines and comma lists', () => {
    const c = resolve('10.0.0.2', { 'x-forwarded-for': ['1.1.1.1, 203.0.113.9', '10.0.0.5 ,10.0.0.6'] });
    assert.equal(c.ip, '203.0.113.9');
  });

  it('takes the leftmost when every hop is trusted', () => {
    assert.equal(resolve('10.0.0.2', { 'x-forwarded-for': '10.0.0.7, 10.0.0.6' }).ip, '10.0.0.7');
  });

  it('uses the peer when there is no X-Forwarded-For', () => {
    assert.equal(resolve('10.0.0.2', {}).ip, '10.0.0.2');
  });

  it('accepts ports and bracketed / non-canonical IPv6', () => {
    assert.equal(resolve('10.0.0.2', { 'x-forwarded-for': '203.0.113.9:5555' }).ip, '203.0.113.9');
    assert.equal(resolve('10.0.0.2', { 'x-forwarded-for': '[2001:DB8:0::1]:443' }).ip, '2001:db8::1');
    assert.equal(resolve('10.0.0.2', { 'x-forwarded-for': '2001:db8:0:0::1' }).ip, '2001:db8::1');
    assert.equal(resolve('10.0.0.2', { 'x-forwarded-for': '::ffff:203.0.113.9' }).ip, '203.0.113.9');
  });

  it('falls back to the peer when the hop our proxy wrote is malformed, never throws', () => {
    for (const xff of ['', 'garbage', 'unknown', '203.0.113.9:99999x', '[2001:db8::1', '1.2.3.4.5', '203.0.113.9\r\nx: y', ',']) {
      assert.equal(resolve('10.0.0.2', { 'x-forwarded-for': xff }).ip, '10.0.0.2', JSON.stringify(xff));
    }
  });

  it('never lets client garbage left of the real hop change the answer (attack)', () => {
    assert.equal(resolve('10.0.0.2', { 'x-forwarded-for': '"><script>, not-an-ip, 203.0.113.9' }).ip, '203.0.113.9');
  });

  it('a malformed hop behind trusted hops yields the last readable trusted hop', () => {
    assert.equal(resolve('10.0.0.2', { 'x-forwarded-for': 'garbage, 10.0.0.7' }).ip, '10.0.0.7');
  });

  it('ignores Forwarded in x-forwarded-for mode (a proxy that writes XFF passes it through) (attack)', () => {
    const c = resolve('10.0.0.2', { forwarded: 'for=1.1.1.1', 'x-forwarded-for': '203.0.113.9' });
    assert.equal(c.ip, '203.0.113.9');
    assert.equal(resolve('10.0.0.2', { forwarded: 'for=1.1.1.1' }).ip, '10.0.0.2');
  });

  it('takes proto and host from a trusted peer, validated', () => {
    const c = resolve('10.0.0.2', { host: 'internal:8080', 'x-forwarded-for': '203.0.113.9', 'x-forwarded-proto': 'HTTPS', 'x-forwarded-host': 'API.example.com' });
    assert.equal(c.proto, 'https');
    assert.equal(c.host, 'api.example.com');
  });

  it('refuses an X-Forwarded-Host with CR/LF or a path and keeps the Host header (attack)', () => {
    for (const xfh of ['evil.com\r\nSet-Cookie: a=b', 'evil.com/path', 'evil.com\nx', 'evil.com:99999', '[zz::1]', 'a b']) {
      const c = resolve('10.0.0.2', { host: 'api.example.com', 'x-forwarded-host': xfh });
      assert.equal(c.host, 'api.example.com', JSON.stringify(xfh));
    }
  });

  it('accepts only http/https as proto', () => {
    for (const p of ['javascript', 'ftp', 'https\r\n', '']) {
      assert.equal(resolve('10.0.0.2', { 'x-forwarded-proto': p }).proto, 'http', p);
    }
  });

  it('reads a proto/host list only when it lines up with X-Forwarded-For', () => {
    const aligned = resolve('10.0.0.2', { 'x-forwarded-for': '203.0.113.9, 10.0.0.5', 'x-forwarded-proto': 'https, http' });
    assert.equal(aligned.proto, 'https');
    const misaligned = resolve('10.0.0.2', { 'x-forwarded-for': '203.0.113.9', 'x-forwarded-proto': 'https, http' });
    assert.equal(misaligned.proto, 'http');
  });
});

describe('resolveClient: trusted peer, Forwarded (RFC 7239)', () => {
  it('reads for, proto and host of the element that names the client', () => {
    const c = resolve('10.0.0.2', {
      host: 'internal',
      forwarded: 'for=1.1.1.1;proto=http, for="[2001:db8::1]:4711";proto=https;host="api.example.com:8443", for=10.0.0.5;proto=http;host=internal',
    }, FWD);
    assert.equal(c.ip, '2001:db8::1');
    assert.equal(c.proto, 'https');
    assert.equal(c.host, 'api.example.com:8443');
  });

  it('accepts case-insensitive names, OWS around ";" and quoted ports', () => {
    const c = resolve('10.0.0.2', { forwarded: 'For="203.0.113.9:80" ; Proto=https' }, FWD);
    assert.equal(c.ip, '203.0.113.9');
    assert.equal(c.proto, 'https');
  });

  it('falls back to the peer for for=unknown and obfuscated identifiers', () => {
    for (const f of ['for=unknown', 'for=_hidden', 'for="_gazonk"', 'proto=https']) {
      assert.equal(resolve('10.0.0.2', { forwarded: f }, FWD).ip, '10.0.0.2', f);
    }
    // ...but the element still tells the scheme the client used.
    assert.equal(resolve('10.0.0.2', { forwarded: 'for=unknown;proto=https' }, FWD).proto, 'https');
  });

  it('an unknown hop behind trusted hops yields the last known trusted hop', () => {
    assert.equal(resolve('10.0.0.2', { forwarded: 'for=unknown, for=10.0.0.7' }, FWD).ip, '10.0.0.7');
  });

  it('ignores a malformed element and uses the peer, never throws', () => {
    const bad = [
      'for=[2001:db8::1]', // IPv6 must be quoted
      'for="2001:db8::1"', // and bracketed
      'for=1.1.1.1;for=2.2.2.2', // duplicate parameter
      'for="1.1.1.1', // unterminated quote
      'for=1.1.1.1 proto=https',
      'for=',
      '=1.1.1.1',
      'for=example.com',
      'for="1.1.1.1\u0001"',
      'for=1.1.1.1:80', // ':' is not a token character: a port must be quoted
      'for="1.1.1.1:port"',
    ];
    for (const f of bad) {
      const c = resolve('10.0.0.2', { host: 'a.example', forwarded: f }, FWD);
      assert.equal(c.ip, '10.0.0.2', f);
      assert.equal(c.proto, 'http', f);
    }
  });

  it('client garbage left of the trusted element does not matter (attack)', () => {
    assert.equal(resolve('10.0.0.2', { forwarded: 'for="unterminated, for=203.0.113.9' }, FWD).ip, '203.0.113.9');
  });

  it('refuses an injected host and an odd proto', () => {
    const c = resolve('10.0.0.2', { host: 'a.example', forwarded: 'for=203.0.113.9;host="evil.com\\\\r\\\\n";proto=gopher' }, FWD);
    assert.equal(c.host, 'a.example');
    assert.equal(c.proto, 'http');
  });

  it('ignores X-Forwarded-For in forwarded mode', () => {
    assert.equal(resolve('10.0.0.2', { 'x-forwarded-for': '1.1.1.1' }, FWD).ip, '10.0.0.2');
  });
});

describe('parseHost', () => {
  it('accepts names, IPv4, bracketed IPv6 and ports', () => {
    assert.equal(parseHost('Example.COM'), 'example.com');
    assert.equal(parseHost('example.com:8443'), 'example.com:8443');
    assert.equal(parseHost('192.0.2.1:80'), '192.0.2.1:80');
    assert.equal(parseHost('[2001:db8::1]:443'), '[2001:db8::1]:443');
    assert.equal(parseHost('my_host.internal.'), 'my_host.internal.');
  });

  it('refuses everything else', () => {
    for (const bad of ['', ':80', 'a:', 'a:123456', 'a:65536', '[::1', '[nothex]', 'a/b', 'a@b', 'a b', 'a\r\nb', '-a', 'a?b', 'a#b', 'x'.repeat(300)]) {
      assert.equal(parseHost(bad), undefined, bad);
    }
  });
});
