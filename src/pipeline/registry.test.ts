import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createBuiltinRegistry } from './builtins.js';
import { StageRegistry } from './registry.js';
import { cors } from '../stages/cors/index.js';
import { PortcullisError } from '../errors/index.js';

test('builtins register the shipped stages by name', () => {
  const r = createBuiltinRegistry();
  assert.equal(r.get('cors'), cors);
  assert.equal(r.has('nope'), false);
});

test('an unknown stage name is a typed error listing the valid names', () => {
  const r = createBuiltinRegistry();
  assert.throws(() => r.get('corz'), (err: unknown) => err instanceof PortcullisError && err.code === 'PCL_ERR_STAGE_UNKNOWN' && /registered stages: .*cors/.test(err.message));
});

test('registering a name twice is refused', () => {
  const r = new StageRegistry();
  r.register(cors);
  assert.throws(() => r.register(cors), /registered twice/);
});
