import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import diagnostics_channel from 'node:diagnostics_channel';
import { boundExcerpt, CHANNELS, MAX_EXCERPT, publishSecurityEvent, type SecurityEventMessage } from './channels.js';

describe('security event excerpts', () => {
  test('an excerpt within the bound is kept whole', () => {
    const text = 'x'.repeat(MAX_EXCERPT);
    assert.equal(boundExcerpt(text), text);
  });

  test('attack: a huge excerpt is cut to the bound, and a card number cut in two by the limit is dropped, not left half-visible', () => {
    const prefix = `${'a;'.repeat((MAX_EXCERPT - 10) / 2)}`;
    const text = `${prefix}4111 1111 1111 1111 and more text ${'z'.repeat(100_000)}`;
    const out = boundExcerpt(text);
    assert.ok(out.length <= MAX_EXCERPT + 1);
    assert.ok(out.endsWith('…'));
    assert.ok(!/\d/.test(out), out.slice(-40));
  });

  test('published events carry the bounded, redacted excerpt', () => {
    const seen: SecurityEventMessage[] = [];
    const on = (m: unknown) => { seen.push(m as SecurityEventMessage); };
    diagnostics_channel.subscribe(CHANNELS.securityEvent, on);
    try {
      publishSecurityEvent(() => ({ kind: 'waf.match', reason: 'x', requestId: '', api: 'a', operationId: undefined, client: '192.0.2.1', severity: 'low', excerpt: `card 4111111111111111; ${'q'.repeat(5_000)}` }));
    } finally {
      diagnostics_channel.unsubscribe(CHANNELS.securityEvent, on);
    }
    assert.equal(seen.length, 1);
    const excerpt = seen[0]!.excerpt!;
    assert.ok(excerpt.startsWith('card [REDACTED:card]'), excerpt.slice(0, 40));
    assert.ok(excerpt.length <= MAX_EXCERPT + 20);
  });
});
