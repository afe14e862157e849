import assert from 'node:assert/strict';
import { test } from 'node:test';
import { REDACTED, redactHeaders, redactQuery } from './redact.js';

test('credential headers are always redacted, whatever their case', () => {
  const out = redactHeaders({
    authorization: 'Bearer eyJhbGciOi.secret',
    'Proxy-Authorization': 'Basic dXNlcjpwYXNz',
    cookie: 'sid=abc',
    'set-cookie': ['a=1', 'b=2'],
    'X-API-KEY': 'k-123',
    'api-key': 'k-456',
    accept: 'application/json',
  });
  assert.deepEqual(out, {
    authorization: REDACTED,
    'Proxy-Authorization': REDACTED,
    cookie: REDACTED,
    'set-cookie': REDACTED,
    'X-API-KEY': REDACTED,
    'api-key': REDACTED,
    accept: 'application/json',
  });
});

test('configured header names are redacted too, and the input is not modified', () => {
  const input = { 'x-session': 's1', 'x-tenant': 't1', authorization: 'secret' };
  assert.deepEqual(redactHeaders(input, ['X-Session']), { 'x-session': REDACTED, 'x-tenant': 't1', authorization: REDACTED });
  assert.equal(input.authorization, 'secret');
});

test('sensitive query values are redacted; other parameters and the path stay', () => {
  assert.equal(redactQuery('/v1/books?token=abc&page=2'), `/v1/books?token=${REDACTED}&page=2`);
  assert.equal(redactQuery('/a?api_key=1&apikey=2&access_token=3&key=4&q=x'), `/a?api_key=${REDACTED}&apikey=${REDACTED}&access_token=${REDACTED}&key=${REDACTED}&q=x`);
  assert.equal(redactQuery('/a?session=s&page=1', ['session']), `/a?session=${REDACTED}&page=1`);
  assert.equal(redactQuery('/no/query'), '/no/query');
});

test('evasions: repeated, upper-case, percent-encoded, plus-encoded and ;-separated names are caught', () => {
  assert.equal(redactQuery('/a?token=1&token=2'), `/a?token=${REDACTED}&token=${REDACTED}`);
  assert.equal(redactQuery('/a?TOKEN=1'), `/a?TOKEN=${REDACTED}`);
  assert.equal(redactQuery('/a?api%5Fkey=1'), `/a?api%5Fkey=${REDACTED}`);
  assert.equal(redactQuery('/a?x=1;access_token=2'), `/a?x=1;access_token=${REDACTED}`);
  assert.equal(redactQuery('/a?my+secret=1', ['my secret']), `/a?my+secret=${REDACTED}`);
  // A value with '=' inside is replaced entirely.
  assert.equal(redactQuery('/a?token=a=b=c&z=1'), `/a?token=${REDACTED}&z=1`);
});

test('similar names are not redacted, malformed encodings do not throw', () => {
  assert.equal(redactQuery('/a?tokens=1&monkey=2&token'), '/a?tokens=1&monkey=2&token');
  assert.equal(redactQuery('/a?%E0%A4%A=1&token=2'), `/a?%E0%A4%A=1&token=${REDACTED}`);
  assert.equal(redactQuery('/a?=1&&token=2'), `/a?=1&&token=${REDACTED}`);
});
