import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bodyFieldNames } from './body-fields.js';

test('JSON: top-level and one nested level of names, never values; data-like keys left out', () => {
  const body = Buffer.from(JSON.stringify({ email: 'alice@example.com', password: 'hunter2', address: { city: 'Paris', zip: '75001' }, 'bob@example.com': 1, '12345': true, items: [{ sku: 'x' }] }));
  const names = bodyFieldNames(body, 'application/json; charset=utf-8');
  assert.deepEqual(names, ['email', 'password', 'address', 'address.city', 'address.zip', 'items', 'items.sku']);
  assert.doesNotMatch(JSON.stringify(names), /alice|hunter2|Paris|bob@/);
});

test('form bodies, arrays of objects, bounds; other media types and broken JSON give nothing', () => {
  assert.deepEqual(bodyFieldNames(Buffer.from('user=alice&pin=1234&user=bob'), 'application/x-www-form-urlencoded'), ['user', 'pin']);
  assert.deepEqual(bodyFieldNames(Buffer.from('[{"a":1},{"b":2}]'), 'application/vnd.api+json'), ['a']);
  assert.deepEqual(bodyFieldNames(Buffer.from('{"a":'), 'application/json'), []);
  assert.deepEqual(bodyFieldNames(Buffer.from('<a/>'), 'application/xml'), []);
  const many = Object.fromEntries(Array.from({ length: 100 }, (_, i) => [`f${i}`, i]));
  assert.equal(bodyFieldNames(Buffer.from(JSON.stringify(many)), 'application/json').length, 30);
});
