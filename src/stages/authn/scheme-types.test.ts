import { test } from 'node:test';
import assert from 'node:assert/strict';
import { schemeTypeMismatch } from './scheme-types.js';

test('each verifier kind accepts the OpenAPI scheme types that carry its credential', () => {
  const fits: [string, Record<string, unknown>][] = [
    ['jwt', { type: 'http', scheme: 'Bearer' }], ['jwt', { type: 'oauth2', flows: {} }], ['jwt', { type: 'openIdConnect', openIdConnectUrl: 'https://x' }],
    ['introspection', { type: 'http', scheme: 'bearer' }], ['introspection', { type: 'oauth2' }],
    ['api-key', { type: 'apiKey', in: 'header', name: 'X-API-Key' }], ['mtls', { type: 'mutualTLS' }],
    ['http-signature', { type: 'http', scheme: 'signature' }],
  ];
  for (const [kind, scheme] of fits) assert.equal(schemeTypeMismatch(kind, scheme), undefined, `${kind} ${JSON.stringify(scheme)}`);
});

test('a mismatch names both sides', () => {
  assert.equal(schemeTypeMismatch('jwt', { type: 'apiKey' }), 'the OpenAPI security scheme has type apiKey, but kind jwt serves http (scheme bearer), oauth2 or openIdConnect');
  assert.match(schemeTypeMismatch('api-key', { type: 'http', scheme: 'bearer' })!, /type http \(scheme bearer\), but kind api-key serves apiKey/);
  assert.match(schemeTypeMismatch('introspection', { type: 'openIdConnect' })!, /kind introspection/);
  assert.match(schemeTypeMismatch('mtls', { type: 'http', scheme: 'basic' })!, /kind mtls serves mutualTLS/);
  assert.match(schemeTypeMismatch('http-signature', { type: 'http', scheme: 'bearer' })!, /kind http-signature/);
  assert.match(schemeTypeMismatch('jwt', {})!, /has type none/);
});

test('no document entry, or an unknown kind, is not this check\'s business', () => {
  assert.equal(schemeTypeMismatch('jwt', undefined), undefined);
  assert.equal(schemeTypeMismatch('basic', { type: 'apiKey' }), undefined);
});
