import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GatewayError } from '../errors/index.js';
import { normalizePath } from './normalize.js';

const BAD = 'PCL_BAD_PATH';

// [request-target, expected path or BAD, expected query]
const TABLE: readonly [string, string, string?][] = [
  // already canonical: returned as is
  ['/', '/'],
  ['/pets', '/pets'],
  ['/pets/42', '/pets/42'],
  ['/pets/', '/pets/'],
  ["/a/b;c=1,d@e:f!$&'()*+", "/a/b;c=1,d@e:f!$&'()*+"],
  ['/files/a.txt', '/files/a.txt'],
  ['/.well-known/jwks.json', '/.well-known/jwks.json'],
  ['/a...', '/a...'],
  // query kept raw, split at the first '?'
  ['/pets?limit=5&q=%zz', '/pets', 'limit=5&q=%zz'],
  ['/pets?', '/pets', ''],
  ['/pets?a=1?b=2', '/pets', 'a=1?b=2'],
  ['/%70ets?x=%2F', '/pets', 'x=%2F'],
  // encoded unreserved characters are decoded, other encodings upper-cased
  ['/%70ets', '/pets'],
  ['/%41%7a%30%2d%2E%5F%7E', '/Az0-._~'],
  ['/caf%c3%a9', '/caf%C3%A9'],
  ['/a%20b', '/a%20b'],
  ['/a%3bb', '/a%3Bb'],
  ['/a%25b', '/a%25b'],
  ['/a%252e%252e/b', '/a%252e%252e/b'],
  // characters not allowed raw are encoded
  ['/a|b', '/a%7Cb'],
  ['/a{b}', '/a%7Bb%7D'],
  ['/a"<>^`[]', '/a%22%3C%3E%5E%60%5B%5D'],
  // slashes collapse, the trailing one is kept
  ['//pets', '/pets'],
  ['/pets//42', '/pets/42'],
  ['/pets///', '/pets/'],
  ['//', '/'],
  // dot-segments, raw and encoded
  ['/a/./b', '/a/b'],
  ['/a/b/..', '/a/'],
  ['/a/b/.', '/a/b/'],
  ['/.', '/'],
  ['/a/..', '/'],
  ['/api/../admin', '/admin'],
  ['/v1/books/../admin/users', '/v1/admin/users'],
  ['/a/%2e%2e/b', '/b'],
  ['/a/%2E%2e/b', '/b'],
  ['/a/.%2e/b', '/b'],
  ['/a/%2e/b', '/a/b'],
  ['/a//../b', '/b'],
  ['/a/.../b', '/a/.../b'],
  ['/a/..b/c', '/a/..b/c'],
  // climbing above the root
  ['/..', BAD],
  ['/../admin', BAD],
  ['/%2e%2e/admin', BAD],
  ['/api/../../x', BAD],
  ['/a/./../..', BAD],
  // dot-segments with path parameters (servers that strip ";..." would climb)
  ['/api/..;/admin', BAD],
  ['/api/.;x/admin', BAD],
  ['/api/..%3b/admin', BAD],
  ['/api/%2e%2e;/admin', BAD],
  ['/api/a;/b', '/api/a;/b'],
  // encoded separators
  ['/a%2Fb', BAD],
  ['/a%2fb', BAD],
  ['/a%5Cb', BAD],
  ['/a%5cb', BAD],
  ['/..%2F..%2Fetc/passwd', BAD],
  // raw backslash, controls, non-ASCII
  ['/a\\b', BAD],
  ['/a\u0000b', BAD],
  ['/a\tb', BAD],
  ['/a\u007fb', BAD],
  ['/caf\u00e9', BAD],
  ['/\u2028', BAD],
  // encoded controls
  ['/a%00b', BAD],
  ['/a%0d%0aSet-Cookie:x', BAD],
  ['/a%7F', BAD],
  ['/a%1f', BAD],
  // invalid percent-encoding
  ['/a%zz', BAD],
  ['/a%4', BAD],
  ['/a%', BAD],
  ['/a%g1', BAD],
  ['/%%32%65', BAD],
  // percent-encoded bytes must be valid UTF-8
  ['/%C0%AE%C0%AE/admin', BAD],
  ['/%c3', BAD],
  ['/%c3/a', BAD],
  ['/%e9', BAD],
  ['/%ed%a0%80', BAD],
  ['/%f4%90%80%80', BAD],
  ['/%f0%9f%98%80', '/%F0%9F%98%80'],
  // fragments
  ['/pets#frag', BAD],
  ['/pets?x=1#frag', BAD],
  ['/pets%23frag', '/pets%23frag'],
  // query characters
  ['/pets?a b', BAD],
  ['/pets?a=\u0001', BAD],
  ['/pets?a=\u00e9', BAD],
  // forms of the request target
  ['http://example.com/pets?x=1', '/pets', 'x=1'],
  ['HTTPS://example.com:8443/%70ets/../cats', '/cats'],
  ['http://example.com', '/'],
  ['http://example.com?x=1', '/', 'x=1'],
  ['http:///pets', BAD],
  ['http://example.com#x', BAD],
  ['ftp://example.com/pets', BAD],
  ['*', BAD],
  ['', BAD],
  ['pets', BAD],
];

describe('normalizePath', () => {
  for (const [input, expected, query = ''] of TABLE) {
    it(`${JSON.stringify(input)} → ${expected}`, () => {
      if (expected === BAD) {
        assert.throws(() => normalizePath(input), (err: unknown) => {
          assert.ok(err instanceof GatewayError);
          assert.equal(err.code, BAD);
          assert.equal(err.status, 400);
          return true;
        });
        return;
      }
      assert.deepEqual(normalizePath(input), { path: expected, query });
    });
  }

  it('is idempotent: a normalised path normalises to itself', () => {
    for (const [input, expected] of TABLE) {
      if (expected === BAD) continue;
      assert.equal(normalizePath(expected).path, expected, input);
    }
  });

  it('never echoes the input in the public detail', () => {
    const secret = '/%zzsecret-token-123';
    assert.throws(() => normalizePath(secret), (err: unknown) => {
      assert.ok(err instanceof GatewayError);
      assert.ok(!String(err.detail).includes('secret-token'));
      return true;
    });
  });

  it('handles a long hostile path without climbing', () => {
    const deep = '/a'.repeat(10_000) + '/..'.repeat(10_000);
    assert.equal(normalizePath(deep).path, '/');
    assert.throws(() => normalizePath(deep + '/..'), { code: BAD });
    assert.equal(normalizePath('/' + '%2e/'.repeat(5_000) + 'x').path, '/x');
  });
});
