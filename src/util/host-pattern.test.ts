import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileHosts, underPrefix, unsafePath } from './host-pattern.js';

test('host patterns: exact, strict subdomain wildcard, any; case and trailing dot ignored; suffix tricks refused', () => {
  const m = compileHosts(['api.partner.example', '*.cdn.example', '0177.0.0.1']);
  assert.equal(m.matches('API.Partner.Example.'), true);
  assert.equal(m.matches('api.partner.example.evil.test'), false);
  assert.equal(m.matches('evilapi.partner.example'), false);
  assert.equal(m.matches('eu.cdn.example'), true);
  assert.equal(m.matches('cdn.example'), false);
  assert.equal(m.matches('evilcdn.example'), false);
  assert.equal(m.matches('127.0.0.1'), true, 'address patterns are canonicalised like request hosts');
  assert.equal(compileHosts(['*']).matches('anything.test'), true);
});

test('path prefixes are segment-wise, and dot segments / encoded slashes are unsafe', () => {
  assert.equal(underPrefix('/v1', ['/v1']), true);
  assert.equal(underPrefix('/v1/x', ['/v1/']), true);
  assert.equal(underPrefix('/v10', ['/v1']), false);
  assert.equal(underPrefix('/anything', ['/']), true);
  for (const p of ['/v1/../admin', '/v1/%2e%2e/admin', '/v1/%2E./admin', '/v1/a%2fb', '/v1/a%5cb', '/v1/a\\b', '/v1/./x', '/x%00']) assert.equal(unsafePath(p), true, p);
  assert.equal(unsafePath('/v1/a..b/c'), false);
});
