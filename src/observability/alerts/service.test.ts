import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { Value } from '@sinclair/typebox/value';
import { Registry } from 'prom-client';
import { startWebhookReceiver, waitFor } from '../../../test/helpers/siem.js';
import { publishSecurityEvent } from '../channels.js';
import { slackEscape } from './payload.js';
import { AlertsSchema, type AlertsConfig } from './schema.js';
import { startAlerts } from './service.js';

const closers: (() => Promise<void>)[] = [];
after(async () => { for (const c of closers) await c(); });
const cfg = (c: unknown): AlertsConfig => Value.Default(AlertsSchema, c) as AlertsConfig;

test('a rule fires once to a JSON and a Slack webhook; Slack text is escaped', async () => {
  const json = await startWebhookReceiver('k');
  const slack = await startWebhookReceiver('');
  closers.push(json.close, slack.close);
  const registry = new Registry();
  const s = startAlerts(cfg({
    webhooks: [{ name: 'ops', url: json.url, secret: 'k' }, { name: 'chat', url: slack.url, format: 'slack' }],
    rules: [{ name: 'stuffing', kinds: ['authn.failure'], threshold: 5, windowSeconds: 60, groupBy: ['client/24', 'principal'], cooldownSeconds: 600, notify: ['ops', 'chat'] }],
  }), { registry });
  closers.push(() => s.close());
  for (let i = 0; i < 30; i++) {
    publishSecurityEvent(() => ({ kind: 'authn.failure', reason: 'bad_secret', requestId: `r${i}`, api: 'a', operationId: 'login', client: `198.51.100.${i}`, principal: '<!channel>', severity: 'medium' }));
  }
  await waitFor(() => json.received.length === 1 && slack.received.length === 1);
  await new Promise((r) => setTimeout(r, 100));
  assert.equal(json.received.length, 1, 'deduplicated');
  const alert = (json.received[0]!.body as { alert: Record<string, unknown> }).alert;
  assert.equal(alert['rule'], 'stuffing');
  assert.equal(alert['count'], 6);
  assert.deepEqual(alert['group'], { 'client/24': '198.51.100.0/24', principal: '<!channel>' });
  assert.ok(json.received[0]!.signatureValid);
  const text = JSON.stringify(slack.received[0]!.body);
  assert.doesNotMatch(text, /<!channel>/);
  assert.match(text, /&lt;!channel&gt;/);
  assert.equal(slackEscape('a&<b>'), 'a&amp;&lt;b&gt;');
  assert.match(await registry.metrics(), /^portcullis_alerts_fired_total\{rule="stuffing"\} 1$/m);
});

test('a rule naming an unknown webhook is refused at start', () => {
  assert.throws(() => startAlerts(cfg({ rules: [{ name: 'x', kinds: ['*'], threshold: 1, notify: ['nope'] }] })), /no webhook named "nope"/);
});
