import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { makeCert } from '../../test/helpers/certs.js';
import { classifyUpstreamError, toGatewayError } from './upstream-errors.js';
import { compileUpstreamTls, normalisePin, PIN_MISMATCH_CODE, spkiPin } from './upstream-tls.js';

describe('upstream TLS pins', () => {
  test('spkiPin equals the pin the documented openssl pipeline prints', () => {
    const { cert } = makeCert('pin');
    const b64 = execSync(`openssl x509 -in ${cert} -pubkey -noout | openssl pkey -pubin -outform der | openssl dgst -sha256 -binary | base64`).toString().trim();
    assert.equal(spkiPin(new X509Certificate(readFileSync(cert))), `sha256/${b64}`);
  });

  test('normalisePin accepts sha256/, curl\'s sha256// and bare base64, and refuses anything not 32 bytes', () => {
    const b64 = Buffer.alloc(32, 7).toString('base64');
    for (const p of [`sha256/${b64}`, `sha256//${b64}`, b64]) assert.equal(normalisePin(p), `sha256/${b64}`);
    // A digest whose base64 starts with '/' (one SPKI in 64): its canonical pin reads sha256//...
    const slash = Buffer.from([0xfc, ...Buffer.alloc(31, 9)]).toString('base64');
    assert.ok(slash.startsWith('/'));
    for (const p of [`sha256/${slash}`, `sha256//${slash}`, slash]) assert.equal(normalisePin(p), `sha256/${slash}`, p);
    for (const p of ['sha256/abc', `sha256/${Buffer.alloc(20).toString('base64')}`, 'sha1/' + b64, `${b64}!`]) assert.equal(normalisePin(p), undefined, p);
  });

  test('compileUpstreamTls keeps verification on and installs the pin check only when pins are given', () => {
    const b64 = Buffer.alloc(32, 1).toString('base64');
    const none = compileUpstreamTls({ minVersion: 'TLSv1.2' }, '/');
    assert.equal(none.connect.rejectUnauthorized, true);
    assert.equal(none.connect.checkServerIdentity, undefined);
    const pinned = compileUpstreamTls({ minVersion: 'TLSv1.3', pins: [`sha256/${b64}`] }, '/');
    assert.equal(pinned.connect.minVersion, 'TLSv1.3');
    assert.equal(typeof pinned.connect.checkServerIdentity, 'function');
  });

  test('a pin mismatch and a refused certificate classify as tls: 502 PCL_UPSTREAM_TLS_FAILED, never retried as a connect failure', () => {
    for (const code of [PIN_MISMATCH_CODE, 'DEPTH_ZERO_SELF_SIGNED_CERT', 'ERR_TLS_CERT_ALTNAME_INVALID', 'CERT_HAS_EXPIRED']) {
      const err = Object.assign(new Error('x'), { code });
      assert.equal(classifyUpstreamError(err), 'tls', code);
      const g = toGatewayError('tls', err);
      assert.deepEqual([g.code, g.status], ['PCL_UPSTREAM_TLS_FAILED', 502]);
    }
    assert.equal(classifyUpstreamError(Object.assign(new Error('x'), { code: 'ECONNREFUSED' })), 'connect');
  });
});
