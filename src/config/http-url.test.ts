import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { isIpOrCidr } from './cross-checks.js';
import { isHttpUrl } from './http-url.js';

describe('isHttpUrl', () => {
  it('accepts absolute http(s) URLs with a host', () => {
    for (const url of ['http://127.0.0.1:3000', 'https://api.internal/v1', 'HTTP://EXAMPLE.test', 'http://[::1]:8080/']) assert.equal(isHttpUrl(url), true, url);
  });
  it('rejects other schemes, credentials, fragments, whitespace and junk', () => {
    for (const url of ['ftp://x', 'file:///etc/passwd', '//x', '/x', 'http://', 'http://u:p@x', 'http://u@x', 'http://x/#', 'http://x/#f', ' http://x', 'http://x\n', 'http://x y', 'javascript:alert(1)']) {
      assert.equal(isHttpUrl(url), false, JSON.stringify(url));
    }
  });
});

describe('isIpOrCidr', () => {
  it('accepts addresses and blocks of both families', () => {
    for (const v of ['10.0.0.1', '10.0.0.0/8', '0.0.0.0/0', '::1', '::1/128', 'fd00::/8']) assert.equal(isIpOrCidr(v), true, v);
  });
  it('rejects bad prefixes and non-addresses', () => {
    for (const v of ['', '10.0.0.0/33', '::/129', '10.0.0.0/', '10.0.0.0/-1', '10.0.0.0/ 8', 'localhost', '10.0.0.0/8/8', '1.2.3']) assert.equal(isIpOrCidr(v), false, v);
  });
});
