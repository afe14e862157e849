import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { RequestContext } from './context.js';
import { compileRequestKey } from './request-key.js';

function ctx(body: string | undefined, contentType = 'application/json'): RequestContext {
  return {
    id: 'r', startedAt: 0n, method: 'POST', path: '/login', query: '',
    headers: contentType === '' ? {} : { 'content-type': contentType },
    client: { ip: '203.0.113.7', peer: '127.0.0.1', port: 1, tls: false, proto: 'http', host: 'x' },
    route: { apiName: 'shop', operationId: 'login', pathTemplate: '/login', tags: [], params: {} },
    principal: undefined, body: body === undefined ? undefined : Buffer.from(body), findings: [], timings: {}, responseHeaders: {}, credentialed: false,
  };
}

const key = (pointer: string) => compileRequestKey([`body:${pointer}`], { ipv6Prefix: 64, apiKeyClaim: 'apiKeyId', fold: true });
const alice = key('/username').of(ctx('{"username":"alice"}'));

test('a body part reads a JSON pointer, or a form field named by its last segment; anything else is no key', () => {
  assert.match(alice!, /^x\.[A-Za-z0-9_-]{43}$/);
  assert.notEqual(key('/user/a~1b').of(ctx('{"user":{"a/b":"alice"}}')), undefined, 'escaped segments');
  assert.equal(key('/username').of(ctx('username=alice&password=x', 'application/x-www-form-urlencoded; charset=utf-8')), alice, 'a form field is the same account');
  assert.equal(key('/username').of(ctx('{"username":""}')), undefined);
  assert.equal(key('/username').of(ctx('{"username":{"a":1}}')), undefined, 'an object is no account');
  assert.equal(key('/username').of(ctx('{"username":')), undefined, 'truncated JSON');
  assert.equal(key('/username').of(ctx('{"__proto__":{"username":"x"}}')), undefined, 'no prototype walk');
  assert.equal(key('/username').of(ctx(undefined)), undefined);
  assert.equal(key('/username').of(ctx('{"username":"alice"}', 'multipart/form-data; boundary=x')), undefined);
});

test('the same JSON is the same account whatever its Content-Type says (a relabelled body does not escape the counter)', () => {
  for (const type of ['text/plain', 'application/vnd.api+json', 'APPLICATION/JSON; charset=utf-8', '']) {
    assert.equal(key('/username').of(ctx('{"username":"alice"}', type)), alice, type);
  }
});

test('folded keys: case, width and surrounding space do not make another account; values are hashed to a fixed length', () => {
  assert.equal(key('/username').of(ctx('{"username":" Alice "}')), alice);
  assert.equal(key('/u').of(ctx('{"u":"ﬁ"}')), key('/u').of(ctx('{"u":"fi"}')), 'NFKC');
  assert.notEqual(key('/username').of(ctx('{"username":"alice2"}')), alice);
  const long = key('/username').of(ctx(JSON.stringify({ username: `${'x'.repeat(100_000)}:\n{}` })));
  assert.match(long!, /^x\.[A-Za-z0-9_-]{43}$/);
});
