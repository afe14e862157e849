import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { CompiledEgress, CompiledIntegration } from './compile.js';
import { parseTarget, portOf } from './target.js';

const integration = { name: 'rates', upstream: new URL('https://api.rates.example/v1/') } as unknown as CompiledIntegration;
const egress = { byName: new Map([['rates', integration], ['noroute', { name: 'noroute', upstream: undefined } as unknown as CompiledIntegration]]) } as unknown as CompiledEgress;

test('absolute-form: the raw path is kept beside the URL the parser resolved', () => {
  const t = parseTarget('http://api.example/v1/../admin?x=1', egress);
  assert.equal(t.kind, 'absolute');
  if (t.kind !== 'absolute') return;
  assert.equal(t.url.pathname, '/admin', 'the URL parser resolves dot segments...');
  assert.equal(t.rawPath, '/v1/../admin', '...so the check must see what was sent');
  assert.equal(parseTarget('HTTPS://API.example:8443', egress).kind, 'absolute');
});

test('userinfo, an empty host, a relative target and a non-http scheme are bad targets', () => {
  for (const t of ['http://user:pw@api.example/', 'http://@api.example/', 'http:///x', '/foo', 'ftp://api.example/', '*']) {
    assert.equal(parseTarget(t, egress).kind, 'bad', t);
  }
});

test('named routes go below the integration upstream; unknown names and integrations without upstream are not found', () => {
  const t = parseTarget('/egress/rates/rates?base=EUR', egress);
  assert.equal(t.kind, 'named');
  if (t.kind !== 'named') return;
  assert.equal(t.url.href, 'https://api.rates.example/v1/rates?base=EUR');
  assert.equal(t.rawPath, '/v1/rates');
  assert.equal(parseTarget('/egress/rates', egress).kind, 'named');
  assert.deepEqual(parseTarget('/egress/nope/x', egress), { kind: 'unknown-integration', name: 'nope' });
  assert.deepEqual(parseTarget('/egress/noroute/x', egress), { kind: 'unknown-integration', name: 'noroute' });
  assert.equal(portOf(new URL('https://a.example/')), 443);
  assert.equal(portOf(new URL('http://a.example:8080/')), 8080);
});
