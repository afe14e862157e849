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

test('lists inside a nested block take the forms too: the block is then merged key by key (waf exclusions)', () => {
  const waf = { waf: { customRules: '', exclusions: { removeById: [942100], removeByTag: ['attack-xss'] }, response: { inspect: 'always', maxBodyBytes: 1024 } } };
  const added = mergeStageConfigs(waf, { waf: { exclusions: { removeById: { append: [920350] } } } }, registry);
  assert.deepEqual(added.waf?.exclusions, { removeById: [942100, 920350], removeByTag: ['attack-xss'] }, 'the other exclusion lists stay');
  const replaced = mergeStageConfigs(waf, { waf: { exclusions: { removeById: { replace: [920350] } } } }, registry);
  assert.deepEqual(replaced.waf?.exclusions, { removeById: [920350], removeByTag: ['attack-xss'] });
  const plain = mergeStageConfigs(waf, { waf: { exclusions: { removeById: [920350] } } }, registry);
  assert.deepEqual(plain.waf?.exclusions, { removeById: [920350] }, 'a nested block without a form replaces the API\'s block, as before');
  const other = mergeStageConfigs(waf, { waf: { response: { inspect: 'off' } } }, registry);
  assert.deepEqual(other.waf?.response, { inspect: 'off' });
  assert.deepEqual(waf.waf.exclusions.removeById, [942100], 'the API config is not changed');
});
