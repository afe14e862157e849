import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { booksConfig } from '../helpers/config.js';
import { startGatewayProcess, type GatewayProcess } from '../helpers/gateway.js';
import {
  deadPort, startHangingServer, startSyslogReceiver, startWebhookReceiver, waitFor,
  type SyslogReceiver,
} from '../helpers/siem.js';
import { startUpstream, type FakeUpstream } from '../helpers/upstream.js';

const SECRET = 'siem-e2e-secret-0123456789';
const ADMIN = 'admin-token-siem-0123456789abcdef';

interface EventJson { kind: string; reason: string; requestId: string; client: string; time: string }

describe('SIEM sinks and alerts through a real gateway', () => {
  let up: FakeUpstream;
  let gw: GatewayProcess;
  let syslog: SyslogReceiver;
  let hook: Awaited<ReturnType<typeof startWebhookReceiver>>;
  let alerts: Awaited<ReturnType<typeof startWebhookReceiver>>;
  let hang: Awaited<ReturnType<typeof startHangingServer>>;
  let dir: string;

  before(async () => {
    up = await startUpstream();
    syslog = await startSyslogReceiver('tcp');
    hook = await startWebhookReceiver(SECRET);
    alerts = await startWebhookReceiver('');
    hang = await startHangingServer();
    const top = `sinks:
  syslog:
    - { name: siem, transport: tcp, host: 127.0.0.1, port: ${syslog.port}, flushIntervalMs: 10 }
  file:
    - { name: jsonl, path: ./events/security.jsonl, flushIntervalMs: 10 }
  webhook:
    - { name: hook, url: "${hook.url}", secret: "\${SIEM_SECRET}", flushIntervalMs: 10, kinds: ["validation.*", "admin.*"] }
    - { name: hangs, url: "http://127.0.0.1:${hang.port}/", queueLimit: 5, batchSize: 5, timeoutMs: 200, maxRetries: 0, flushIntervalMs: 5 }
    - { name: down, url: "http://127.0.0.1:${await deadPort()}/", maxRetries: 1, backoffMs: 5, flushIntervalMs: 5 }
alerts:
  webhooks:
    - { name: ops, url: "${alerts.url}" }
  rules:
    - { name: probing, kinds: [validation.failed], threshold: 5, windowSeconds: 60, groupBy: [client/24], cooldownSeconds: 600, notify: [ops] }
`;
    const cfg = booksConfig(up.url, { top, admin: '  token: ${ADMIN_TOKEN}', apiExtra: '    stages:\n      request-validation: {}' });
    dir = cfg.dir;
    gw = await startGatewayProcess(cfg.file, { env: { SIEM_SECRET: SECRET, ADMIN_TOKEN: ADMIN } });
  });
  after(async () => {
    await gw?.stop();
    await Promise.all([up?.close(), syslog?.close(), hook?.close(), alerts?.close(), hang?.close()]);
  });

  test('attack: probing requests reach syslog (CEF), the signed webhook and the file, and fire one alert; good requests all succeed while two sinks are down or hang', async () => {
    const bad: string[] = [];
    for (let i = 0; i < 20; i++) {
      const res = await fetch(`${gw.url}/v1/books?probe${i}=1%27%20OR%201=1`);
      assert.equal(res.status, 400);
      assert.equal(((await res.json()) as { code: string }).code, 'PCL_VALIDATION_FAILED');
      bad.push(res.headers.get('x-request-id')!);
      const ok = await fetch(`${gw.url}/v1/books`);
      assert.equal(ok.status, 200);
      await ok.arrayBuffer();
    }

    await waitFor(() => syslog.messages.filter((m) => m.msgId === 'validation.failed').length >= 20, 10_000, 'syslog events');
    assert.deepEqual(syslog.errors, []);
    const viaSyslog = syslog.messages.filter((m) => m.msgId === 'validation.failed');
    assert.deepEqual(viaSyslog.map((m) => m.cef.ext['cs3']).sort(), [...bad].sort());
    const first = viaSyslog[0]!;
    assert.equal(first.cef.vendor, 'Portcullis');
    assert.equal(first.cef.classId, 'validation.failed');
    assert.equal(first.cef.ext['reason'], 'query');
    assert.equal(first.cef.ext['src'], '127.0.0.1');
    assert.equal(first.cef.ext['cs1'], 'books');
    assert.equal(first.cef.ext['cs2'], 'listBooks');
    assert.equal(first.cef.ext['act'], 'blocked');

    const hookEvents = () => hook.received.flatMap((r) => (r.body as { events: EventJson[] }).events);
    await waitFor(() => hookEvents().length >= 20, 10_000, 'webhook events');
    assert.ok(hook.received.every((r) => r.signatureValid));
    assert.equal(hook.refused, 0);
    assert.deepEqual(hookEvents().map((e) => e.requestId).sort(), [...bad].sort());

    const file = join(dir, 'events', 'security.jsonl');
    await waitFor(() => existsSync(file) && readFileSync(file, 'utf8').trim().split('\n').length >= 20, 10_000, 'file lines');
    const lines = readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as EventJson);
    assert.deepEqual(lines.map((e) => e.requestId).sort(), [...bad].sort());
    assert.ok(lines.every((e) => e.kind === 'validation.failed' && !Number.isNaN(Date.parse(e.time))));

    await waitFor(() => alerts.received.length >= 1, 10_000, 'alert');
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(alerts.received.length, 1, 'fired once, then deduplicated by the cooldown');
    const alert = (alerts.received[0]!.body as { alert: { rule: string; group: Record<string, string>; count: number } }).alert;
    assert.equal(alert.rule, 'probing');
    assert.deepEqual(alert.group, { 'client/24': '127.0.0.0/24' });
    assert.equal(alert.count, 6);

    let metrics = '';
    for (let i = 0; i < 100; i++) {
      metrics = await (await fetch(`${gw.adminUrl}/metrics`)).text();
      if (/sink="down",outcome="dropped_failed"\} [1-9]/.test(metrics) && /sink="hangs",outcome="dropped_(overflow|failed)"\} [1-9]/.test(metrics)) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.match(metrics, /^portcullis_sink_events_total\{sink="down",outcome="dropped_failed"\} [1-9]/m);
    assert.match(metrics, /^portcullis_sink_events_total\{sink="hangs",outcome="dropped_(overflow|failed)"\} [1-9]/m);
    assert.match(metrics, /^portcullis_sink_events_total\{sink="siem",outcome="sent"\} [1-9]/m);
    assert.match(metrics, /^portcullis_alerts_fired_total\{rule="probing"\} 1$/m);
    assert.match(metrics, /^portcullis_security_events_total\{kind="validation\.failed",reason="query"\} 20$/m);
    assert.match(metrics, /^portcullis_security_events_by_operation_total\{kind="validation\.failed",api="books",operation="listBooks",client_class="anonymous"\} 20$/m);
    assert.doesNotMatch(metrics, new RegExp(bad[0]!), 'no request ids as labels');
  });

  test('attack: admin calls with a wrong token become admin.denied events in the sinks', async () => {
    const res = await fetch(`${gw.adminUrl}/admin/status`, { headers: { authorization: 'Bearer wrong' } });
    assert.equal(res.status, 401);
    await waitFor(() => syslog.messages.some((m) => m.msgId === 'admin.denied'), 10_000, 'admin.denied in syslog');
    const m = syslog.messages.find((x) => x.msgId === 'admin.denied')!;
    assert.equal(m.cef.ext['reason'], 'status:invalid-credentials');
    await waitFor(() => hook.received.some((r) => (r.body as { events: EventJson[] }).events.some((e) => e.kind === 'admin.denied')), 10_000, 'admin.denied via webhook');
  });
});
