import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { LookupAddress } from 'node:dns';
import { CidrMatcher } from '../util/cidr.js';
import { ADDRESS_REFUSED_CODE, addressCategory, fixedResolver, guardedLookup, literalAddress, refusal } from './address-guard.js';

const host = (url: string) => new URL(url).hostname;

describe('address guard (SSRF, DNS rebinding)', () => {
  test('non-public addresses are named, in every textual disguise', () => {
    const cases: [string, string | undefined][] = [
      ['127.0.0.1', 'loopback'], ['::1', 'loopback'], ['[::1]', 'loopback'], ['::ffff:127.0.0.1', 'loopback'], ['::ffff:7f00:1', 'loopback'],
      ['169.254.169.254', 'cloud-metadata'], ['fd00:ec2::254', 'cloud-metadata'], ['64:ff9b::a9fe:a9fe', 'cloud-metadata'], ['2002:a9fe:a9fe::1', 'cloud-metadata'],
      ['10.20.30.40', 'private'], ['172.31.255.1', 'private'], ['192.168.1.1', 'private'], ['fc00::5', 'private'],
      ['169.254.10.1', 'link-local'], ['fe80::1%eth0', 'link-local'], ['0.0.0.0', 'unspecified'], ['::', 'unspecified'],
      ['224.0.0.1', 'multicast'], ['ff02::1', 'multicast'], ['100.64.0.1', 'shared'], ['255.255.255.255', 'reserved'],
      ['93.184.216.34', undefined], ['2606:4700:4700::1111', undefined], ['64:ff9b::808:808', undefined],
    ];
    for (const [ip, want] of cases) assert.equal(addressCategory(ip), want, ip);
  });

  test('decimal, octal, hex and mapped URL hosts reach the guard as the address they mean', () => {
    assert.equal(addressCategory(host('http://2130706433/')), 'loopback');
    assert.equal(addressCategory(host('http://0177.0.0.1/')), 'loopback');
    assert.equal(addressCategory(host('http://0x7f.1/')), 'loopback');
    assert.equal(addressCategory(host('http://0xa9fea9fe/')), 'cloud-metadata');
    assert.equal(addressCategory(host('http://[::ffff:169.254.169.254]/')), 'cloud-metadata');
  });

  test('allow covers chosen ranges only', () => {
    const policy = { allow: new CidrMatcher(['10.1.0.0/16']) };
    assert.equal(refusal(policy, '10.1.2.3'), undefined);
    assert.equal(refusal(policy, '10.2.0.1'), 'private');
    assert.equal(refusal(policy, '169.254.169.254'), 'cloud-metadata');
  });

  test('attack: a name answering a public and a private address (rebinding) is refused; the checked address is what connects', async () => {
    const fake = (answers: LookupAddress[]) => ((_h: string, _o: unknown, cb: (e: null, a: LookupAddress[]) => void) => cb(null, answers)) as never;
    const policy = { allow: new CidrMatcher([]) };
    const run = (answers: LookupAddress[], all: boolean) => new Promise<{ err: NodeJS.ErrnoException | null; addr: unknown }>((resolve) => {
      guardedLookup(policy, fake(answers))('api.example', { all } as never, ((err: NodeJS.ErrnoException | null, addr: unknown) => resolve({ err, addr })) as never);
    });
    const mixed = await run([{ address: '93.184.216.34', family: 4 }, { address: '127.0.0.1', family: 4 }], false);
    assert.equal(mixed.err?.code, ADDRESS_REFUSED_CODE);
    assert.match(String(mixed.err?.message), /loopback address \(127\.0\.0\.1\)/);
    const ok = await run([{ address: '93.184.216.34', family: 4 }], false);
    assert.deepEqual([ok.err, ok.addr], [null, '93.184.216.34']);
    const okAll = await run([{ address: '93.184.216.34', family: 4 }], true);
    assert.deepEqual(okAll.addr, [{ address: '93.184.216.34', family: 4 }]);
  });
});

describe('fixed answers and literal hosts (issue 16)', () => {
  test('literalAddress: the URL parser\'s spelling of an address, brackets removed; names are not addresses', () => {
    assert.equal(literalAddress(new URL('http://2130706433/').hostname), '127.0.0.1');
    assert.equal(literalAddress(new URL('http://[::ffff:127.0.0.1]/').hostname), '::ffff:7f00:1');
    assert.equal(addressCategory(literalAddress(new URL('http://[::ffff:127.0.0.1]/').hostname)!), 'loopback');
    assert.equal(literalAddress('api.example'), undefined);
  });

  test('attack: a fixed answer is no way around the guard; unknown names go to the fallback resolver', async () => {
    const asked: string[] = [];
    const fallback = ((h: string, _o: unknown, cb: (e: null, a: LookupAddress[]) => void) => { asked.push(h); cb(null, [{ address: '93.184.216.34', family: 4 }]); }) as never;
    const lookup = guardedLookup({ allow: new CidrMatcher([]) }, fixedResolver({ 'Meta.Test.': ['::ffff:169.254.169.254'], 'ok.test': ['93.184.216.35'] }, fallback));
    const run = (name: string) => new Promise<{ err: NodeJS.ErrnoException | null; addr: unknown }>((resolve) => {
      lookup(name, {}, (err, addr) => resolve({ err, addr }));
    });
    assert.equal((await run('meta.test')).err?.code, ADDRESS_REFUSED_CODE);
    assert.equal((await run('ok.test.')).addr, '93.184.216.35');
    assert.equal((await run('other.test')).addr, '93.184.216.34');
    assert.deepEqual(asked, ['other.test']);
  });

  test('attack: a resolver that answers differently each time (rebinding) cannot change the address a check passed', async () => {
    let calls = 0;
    const flipping = ((_h: string, _o: unknown, cb: (e: null, a: LookupAddress[]) => void) => {
      calls += 1;
      cb(null, [{ address: calls === 1 ? '93.184.216.34' : '127.0.0.1', family: 4 }]);
    }) as never;
    const lookup = guardedLookup({ allow: new CidrMatcher([]) }, flipping);
    const first = await new Promise<unknown>((r) => lookup('rebind.test', {}, (_e, a) => r(a)));
    assert.equal(first, '93.184.216.34', 'the socket is handed exactly the address that was checked');
    const second = await new Promise<NodeJS.ErrnoException | null>((r) => lookup('rebind.test', {}, (e) => r(e)));
    assert.equal(second?.code, ADDRESS_REFUSED_CODE, 'the next connection resolves again and is checked again');
  });
});
