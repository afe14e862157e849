import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createBuiltinRegistry } from '../pipeline/builtins.js';
import { mergeStageConfigs } from './compile.js';

const registry = createBuiltinRegistry();
const api = { 'rate-limit': { limits: [{ name: 'per-client', limit: 100 }], ipv6Prefix: 56 }, 'response-filter': { visibleTo: { ssn: ['admin'] } } };

test('an operation list replaces the API list by default, and explicitly with { replace }', () => {
  const a = mergeStageConfigs(api, { 'rate-limit': { limits: [{ name: 'login', limit: 5 }] } }, registry);
  assert.deepEqual(a['rate-limit'], { limits: [{ name: 'login', limit: 5 }], ipv6Prefix: 56 });
  const b = mergeStageConfigs(api, { 'rate-limit': { limits: { replace: [{ name: 'login', limit: 5 }] } } }, registry);
  assert.deepEqual(b['rate-limit'], a['rate-limit']);
});

test('{ append: [...] } adds to the API list (or to nothing), and merges repeat for tag then operationId', () => {
  const once = mergeStageConfigs(api, { 'rate-limit': { limits: { append: [{ name: 'login', limit: 5 }] } } }, registry);
  assert.deepEqual(once['rate-limit']?.limits, [{ name: 'per-client', limit: 100 }, { name: 'login', limit: 5 }]);
  const twice = mergeStageConfigs(once, { 'rate-limit': { limits: { append: [{ name: 'user', limit: 3 }] } } }, registry);
  assert.deepEqual((twice['rate-limit']?.limits as { name: string }[]).map((l) => l.name), ['per-client', 'login', 'user']);
  const fresh = mergeStageConfigs({}, { authz: { rules: { append: [{ name: 'r' }] } } }, registry);
  assert.deepEqual(fresh.authz?.rules, [{ name: 'r' }]);
  assert.deepEqual(api['rate-limit'].limits.length, 1, 'the API config is not changed');
});

test('only list-typed keys take the forms: a record key named "append" is data', () => {
  const out = mergeStageConfigs(api, { 'response-filter': { visibleTo: { append: ['admin'] } } }, registry);
  assert.deepEqual(out['response-filter']?.visibleTo, { append: ['admin'] });
});
