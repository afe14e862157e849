import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { findPackageRoot } from '../util/package-root.js';
import { helloRecordLength, parseClientHello } from './client-hello.js';
import { isGrease, ja4Of } from './ja4.js';

const data = JSON.parse(readFileSync(join(findPackageRoot(import.meta.url), 'test', 'fixtures', 'ja4', 'foxio-client-hellos.json'), 'utf8')) as { hellos: { name: string; ja4: string; record: string }[] };

for (const h of data.hellos) {
  test(`JA4 of FoxIO's ${h.name} capture matches the published ${h.ja4}`, () => {
    const hello = parseClientHello(Buffer.from(h.record, 'hex'));
    assert.ok(hello !== undefined);
    assert.equal(ja4Of(hello).ja4, h.ja4);
  });
}

test('the raw form of the Chrome-like capture lists what the spec example lists', () => {
  const rec = Buffer.from(data.hellos.find((h) => h.name === 'tls-sni')!.record, 'hex');
  assert.equal(ja4Of(parseClientHello(rec)!).raw, 't13d1516h2_002f,0035,009c,009d,1301,1302,1303,c013,c014,c02b,c02c,c02f,c030,cca8,cca9_0005,000a,000b,000d,0012,0015,0017,001b,0023,002b,002d,0033,4469,ff01_0403,0804,0401,0503,0805,0501,0806,0601');
});

test('GREASE values are recognised and nothing else', () => {
  assert.ok(isGrease(0x0a0a) && isGrease(0xfafa) && isGrease(0x3a3a));
  assert.ok(!isGrease(0x0a1a) && !isGrease(0x1301) && !isGrease(0xeded));
});

test('truncated, oversized and non-TLS input gives no hello and never throws', () => {
  const rec = Buffer.from(data.hellos[0]!.record, 'hex');
  for (let n = 0; n < rec.length; n += 7) assert.equal(parseClientHello(rec.subarray(0, n)), undefined);
  assert.equal(helloRecordLength(Buffer.from('GET / HTTP/1.1\r\n')), 0);
  assert.equal(helloRecordLength(Buffer.from([0x16, 0x03])), -1);
  const lying = Buffer.from(rec);
  lying.writeUInt16BE(0xffff, 9 + 2 + 32 + 1 + lying[9 + 2 + 32]! ); // cipher length far beyond the body
  assert.equal(parseClientHello(lying), undefined);
});
