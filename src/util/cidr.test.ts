import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { CidrMatcher, canonicalIp, normalizeIp } from './cidr.js';

describe('CidrMatcher', () => {
  const m = new CidrMatcher(['10.0.0.0/8', '192.0.2.7', '2001:db8::/32', '::1', '::ffff:198.51.100.0/120']);

  it('matches IPv4 blocks and single addresses', () => {
    assert.equal(m.has('10.255.0.1'), true);
    assert.equal(m.has('11.0.0.1'), false);
    assert.equal(m.has('192.0.2.7'), true);
    assert.equal(m.has('192.0.2.8'), false);
  });

  it('matches IPv6 blocks in any textual form', () => {
    assert.equal(m.has('2001:db8::5'), true);
    assert.equal(m.has('2001:DB8:0:0:0:0:0:5'), true);
    assert.equal(m.has('[2001:db8::5]'), true);
    assert.equal(m.has('2001:db9::1'), false);
    assert.equal(m.has('0:0:0:0:0:0:0:1'), true);
  });

  it('treats IPv4-mapped IPv6 peers as IPv4 (dual-stack listeners)', () => {
    assert.equal(m.has('::ffff:10.1.2.3'), true);
    assert.equal(m.has('::ffff:a01:203'), true);
    assert.equal(m.has('::FFFF:10.1.2.3'), true);
    assert.equal(m.has('::ffff:11.1.2.3'), false);
  });

  it('reads a mapped IPv6 block as the IPv4 block it covers', () => {
    assert.equal(m.has('198.51.100.42'), true);
    assert.equal(m.has('198.51.101.1'), false);
  });

  it('ignores an IPv6 zone', () => {
    const ll = new CidrMatcher(['fe80::/10']);
    assert.equal(ll.has('fe80::1%eth0'), true);
  });

  it('answers false for anything that is not an address, never throws', () => {
    for (const bad of ['', 'abc', '10.0.0.1/8', '10.0.0.256', '1.2.3.4.5', '010.0.0.1', '10.0.0.1 ', 'unknown', '[10.0.0.1]x']) {
      assert.equal(m.has(bad), false, bad);
    }
    assert.equal(m.has(undefined as unknown as string), false);
  });

  it('an empty matcher trusts nobody', () => {
    const none = new CidrMatcher([]);
    assert.equal(none.has('127.0.0.1'), false);
    assert.equal(none.has('::1'), false);
  });

  it('a /0 block trusts every address of its family only', () => {
    const all4 = new CidrMatcher(['0.0.0.0/0']);
    assert.equal(all4.has('203.0.113.9'), true);
    assert.equal(all4.has('2001:db8::1'), false);
  });

  it('keeps its entries', () => {
    assert.deepEqual(new CidrMatcher(['10.0.0.0/8', '::1']).entries, ['10.0.0.0/8', '::1']);
  });

  it('throws a clear error naming the bad entry', () => {
    const cases: Array<[string, RegExp]> = [
      ['10.0.0.0/33', /"10\.0\.0\.0\/33" has an invalid prefix length \(expected 0-32\)/],
      ['2001:db8::/129', /expected 0-128/],
      ['::ffff:10.0.0.0/64', /expected 96-128 for an IPv4-mapped block/],
      ['10.0.0.0/', /invalid prefix length/],
      ['10.0.0.0/-1', /invalid prefix length/],
      ['10.0.0.0/8/8', /invalid prefix length/],
      ['localhost', /"localhost" is not an IP address or CIDR block/],
      ['10.0.0', /is not an IP address/],
      ['', /is not an IP address/],
    ];
    for (const [entry, re] of cases) assert.throws(() => new CidrMatcher(['10.0.0.0/8', entry]), re, entry);
  });
});

describe('normalizeIp', () => {
  it('strips the mapped prefix, brackets and zone, and lower-cases IPv6', () => {
    assert.equal(normalizeIp('1.2.3.4'), '1.2.3.4');
    assert.equal(normalizeIp('::ffff:1.2.3.4'), '1.2.3.4');
    assert.equal(normalizeIp('::ffff:102:304'), '1.2.3.4');
    assert.equal(normalizeIp('[::1]'), '::1');
    assert.equal(normalizeIp('[FE80::1%eth0]'), 'fe80::1');
    assert.equal(normalizeIp('2001:DB8::1'), '2001:db8::1');
  });

  it('leaves what it does not recognise alone', () => {
    assert.equal(normalizeIp('::ffff:zz'), '::ffff:zz');
    assert.equal(normalizeIp('garbage'), 'garbage');
  });
});

describe('canonicalIp', () => {
  it('gives one text per address', () => {
    assert.equal(canonicalIp('2001:DB8:0:0:0:0:0:1'), '2001:db8::1');
    assert.equal(canonicalIp('[2001:db8:0::1]'), '2001:db8::1');
    assert.equal(canonicalIp('::ffff:10.0.0.1'), '10.0.0.1');
    assert.equal(canonicalIp('10.0.0.1'), '10.0.0.1');
  });

  it('refuses non-addresses', () => {
    for (const bad of ['', 'x', '1.2.3.4:80', '01.2.3.4', '1.2.3.4\r\n', 'fe80::1::2']) assert.equal(canonicalIp(bad), undefined, bad);
  });
});
