import { test } from 'node:test';
import assert from 'node:assert/strict';
import { usernameFrom, usernameKey } from './login.js';

test('the username comes from a JSON pointer or a form field; anything else is no username', () => {
  const json = 'application/json';
  assert.equal(usernameFrom(Buffer.from('{"username":"alice"}'), json, '/username'), 'alice');
  assert.equal(usernameFrom(Buffer.from('{"user":{"a/b":"bob"}}'), json, '/user/a~1b'), 'bob');
  assert.equal(usernameFrom(Buffer.from('username=carol&password=x'), 'application/x-www-form-urlencoded; charset=utf-8', '/username'), 'carol');
  assert.equal(usernameFrom(Buffer.from('{"username":42}'), json, '/username'), undefined);
  assert.equal(usernameFrom(Buffer.from('{"username":""}'), json, '/username'), undefined);
  assert.equal(usernameFrom(Buffer.from('{"username":'), json, '/username'), undefined, 'truncated JSON');
  assert.equal(usernameFrom(Buffer.from('{"__proto__":{"username":"x"}}'), json, '/username'), undefined, 'no prototype walk');
  assert.equal(usernameFrom(undefined, json, '/username'), undefined);
});

test('usernames are normalised and hashed to a fixed-length key part', () => {
  assert.equal(usernameKey(' Alice '), usernameKey('alice'));
  assert.equal(usernameKey('ﬁ'), usernameKey('fi'), 'NFKC');
  assert.notEqual(usernameKey('alice'), usernameKey('alice2'));
  const k = usernameKey(`${'x'.repeat(100_000)}:\n{}`);
  assert.match(k, /^[A-Za-z0-9_-]{22}$/);
});
