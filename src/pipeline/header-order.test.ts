import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import type { RequestContext } from './context.js';
import { headerOrderOf } from './header-order.js';
import { compileRequestKey } from './request-key.js';

const ctx = (raw: string[], ja4?: string) => ({ rawHeaders: raw, headers: {}, client: { ip: '192.0.2.1', ...(ja4 === undefined ? {} : { ja4 }) } }) as unknown as RequestContext;
const sha12 = (s: string) => createHash('sha256').update(s).digest('hex').slice(0, 12);

test('header order: names in sent order, lower case, Cookie and Referer left out; values do not matter', () => {
  const a = ctx(['Host', 'x', 'User-Agent', 'curl/8', 'Cookie', 's=1', 'Accept', '*/*', 'Referer', 'http://e']);
  assert.equal(headerOrderOf(a), sha12('host,user-agent,accept'));
  assert.equal(headerOrderOf(ctx(['host', 'y', 'user-agent', 'other', 'accept', 'text/html'])), headerOrderOf(a));
  assert.notEqual(headerOrderOf(ctx(['User-Agent', 'curl/8', 'Host', 'x', 'Accept', '*/*'])), headerOrderOf(a));
});

test('key parts ja4 and headerOrder: a request without a TLS fingerprint is not counted by a ja4 key', () => {
  const byJa4 = compileRequestKey(['ja4'], { ipv6Prefix: 64, apiKeyClaim: 'apiKeyId' });
  assert.equal(byJa4.of(ctx(['Host', 'x'])), undefined);
  const k1 = byJa4.of(ctx(['Host', 'x'], 't13d1516h2_8daaf6152771_e5627efa2ab1'));
  assert.match(k1 ?? '', /^x\./);
  assert.notEqual(k1, byJa4.of(ctx(['Host', 'x'], 't13d1715h2_5b57614c22b0_3d5424432f57')));
  const byOrder = compileRequestKey(['headerOrder'], { ipv6Prefix: 64, apiKeyClaim: 'apiKeyId' });
  assert.equal(byOrder.of(ctx(['Host', 'x', 'Accept', 'a'])), byOrder.of(ctx(['host', 'y', 'accept', 'b'])));
});
