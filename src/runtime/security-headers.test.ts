import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { OutgoingHttpHeaders } from 'node:http';
import { Value } from '@sinclair/typebox/value';
import { SecurityHeadersSchema, type SecurityHeadersConfig } from '../config/schema.js';
import { compileSecurityHeaders } from './security-headers.js';

const defaults = (over: Partial<SecurityHeadersConfig> = {}): SecurityHeadersConfig => ({ ...(Value.Default(SecurityHeadersSchema, {}) as SecurityHeadersConfig), ...over });

test('defaults add the secure headers and strip fingerprints', () => {
  const h: OutgoingHttpHeaders = { server: 'nginx/1.2', 'x-powered-by': 'Express' };
  compileSecurityHeaders(defaults())(h, { tls: false, credentialed: false });
  assert.equal(h.server, undefined);
  assert.equal(h['x-powered-by'], undefined);
  assert.equal(h['x-content-type-options'], 'nosniff');
  assert.equal(h['content-security-policy'], "frame-ancestors 'none'");
  assert.equal(h['referrer-policy'], 'no-referrer');
  assert.equal(h['strict-transport-security'], undefined, 'no HSTS over plain HTTP');
  assert.equal(h['cache-control'], undefined);
});

test('HSTS only on TLS; no-store on credentialed responses; upstream CSP kept', () => {
  const h: OutgoingHttpHeaders = { 'content-security-policy': "default-src 'self'", 'cache-control': 'public, max-age=600' };
  compileSecurityHeaders(defaults())(h, { tls: true, credentialed: true });
  assert.equal(h['strict-transport-security'], 'max-age=31536000; includeSubDomains');
  assert.equal(h['cache-control'], 'no-store');
  assert.equal(h['content-security-policy'], "default-src 'self'");
});

test('off mode leaves the response alone; monitor mode removes nothing', () => {
  const h: OutgoingHttpHeaders = { server: 'x' };
  compileSecurityHeaders(defaults({ mode: 'off' }))(h, { tls: true, credentialed: true });
  assert.deepEqual(h, { server: 'x' });
  const m: OutgoingHttpHeaders = { server: 'x' };
  compileSecurityHeaders(defaults({ mode: 'monitor' }))(m, { tls: false, credentialed: true });
  assert.equal(m.server, 'x');
  assert.equal(m['cache-control'], undefined);
});
