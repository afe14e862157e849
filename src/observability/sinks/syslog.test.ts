import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { makeCert } from '../../../test/helpers/certs.js';
import { startSyslogReceiver, waitFor, type SyslogReceiver } from '../../../test/helpers/siem.js';
import type { SecurityEventMessage } from '../channels.js';
import { SyslogSinkSchema, type SyslogSinkConfig } from './schema.js';
import { createSyslogTransport } from './syslog.js';
import { Value } from '@sinclair/typebox/value';

const product = { vendor: 'Portcullis', product: 'gateway', version: '0.0.0' };
const ev = (i: number): SecurityEventMessage => ({
  kind: 'authn.failure', reason: 'bad_signature', requestId: `r-${i}`, api: 'books', operationId: 'listBooks', client: '198.51.100.7',
  severity: 'medium', time: new Date().toISOString(), excerpt: `line one\nkey=value ${i}`,
});
const cfg = (over: Partial<SyslogSinkConfig>): SyslogSinkConfig => Value.Default(SyslogSinkSchema, { name: 's', host: '127.0.0.1', ...over }) as SyslogSinkConfig;

const receivers: SyslogReceiver[] = [];
after(async () => { await Promise.all(receivers.map((r) => r.close())); });

async function roundTrip(transport: 'udp' | 'tcp' | 'tls'): Promise<void> {
  const certs = transport === 'tls' ? makeCert('syslog') : undefined;
  const r = await startSyslogReceiver(transport, certs);
  receivers.push(r);
  const t = createSyslogTransport(cfg({ transport, port: r.port, hostname: 'gw-test', ...(certs ? { ca: certs.cert } : {}) }), '/', product);
  await t.send([ev(1), ev(2)]);
  await t.send([ev(3)]);
  await waitFor(() => r.messages.length === 3, 5000, `${transport} messages`);
  assert.deepEqual(r.errors, []);
  const m = r.messages[0]!;
  assert.equal(m.pri, 10 * 8 + 4);
  assert.equal(m.version, 1);
  assert.equal(m.hostname, 'gw-test');
  assert.equal(m.appName, 'portcullis');
  assert.equal(m.msgId, 'authn.failure');
  assert.equal(m.cef.classId, 'authn.failure');
  assert.equal(m.cef.ext['msg'], 'line one\nkey=value 1');
  assert.deepEqual(r.messages.map((x) => x.cef.ext['cs3']), ['r-1', 'r-2', 'r-3']);
  await t.close();
}

test('syslog over UDP: one RFC 5424 + CEF message per datagram', () => roundTrip('udp'));
test('syslog over TCP: octet-counted frames', () => roundTrip('tcp'));
test('syslog over TLS: the receiver certificate is checked against the configured CA', () => roundTrip('tls'));

test('attack: TLS to a receiver whose certificate does not chain to the configured CA fails', async () => {
  const r = await startSyslogReceiver('tls', makeCert('real'));
  receivers.push(r);
  const other = makeCert('other');
  const t = createSyslogTransport(cfg({ transport: 'tls', port: r.port, ca: other.cert }), '/', product);
  await assert.rejects(t.send([ev(1)]));
  assert.equal(r.messages.length, 0);
  await t.close();
});

test('TCP reconnects after the receiver restarts', async () => {
  const r = await startSyslogReceiver('tcp');
  receivers.push(r);
  const t = createSyslogTransport(cfg({ transport: 'tcp', port: r.port }), '/', product);
  await t.send([ev(1)]);
  await waitFor(() => r.messages.length === 1);
  await r.close();
  // The first write after the peer closed may still be accepted by the kernel; the queue retries what fails.
  let failed = false;
  for (let i = 0; i < 20 && !failed; i++) {
    try { await t.send([ev(2)]); await new Promise((res) => setTimeout(res, 20)); } catch { failed = true; }
  }
  assert.equal(failed, true, 'a dead receiver makes send fail');
  // The receiver comes back on the same port: the next sends reconnect and arrive.
  const back = await startSyslogReceiver('tcp', undefined, r.port);
  receivers.push(back);
  const arrived = () => back.messages.some((m) => m.cef.ext['msg']?.includes('key=value 3') === true);
  for (let i = 0; i < 100 && !arrived(); i++) {
    try { await t.send([ev(3)]); } catch { /* the first attempt may still see the old connection */ }
    await new Promise((res) => setTimeout(res, 50));
  }
  assert.ok(arrived(), 'a message sent after the restart reaches the new receiver');
  assert.deepEqual(back.errors, []);
  await t.close();
});

test('messages longer than maxMessageBytes are cut', async () => {
  const r = await startSyslogReceiver('udp');
  receivers.push(r);
  const t = createSyslogTransport(cfg({ transport: 'udp', port: r.port, maxMessageBytes: 480 }), '/', product);
  await t.send([{ ...ev(1), excerpt: 'x'.repeat(5000) }]);
  await waitFor(() => r.messages.length + r.errors.length === 1);
  await t.close();
  assert.equal(r.messages.length, 1);
  assert.ok(Buffer.byteLength(r.messages[0]!.cef.ext['msg'] ?? '') < 480);
});

test('a TLS receiver that accepts but never completes the handshake: attempts time out, the connection is reset, the batch is dropped', async () => {
  const { startHangingServer } = await import('../../../test/helpers/siem.js');
  const { sinkQueue } = await import('./service.js');
  const hang = await startHangingServer();
  const c = cfg({ transport: 'tls', port: hang.port, timeoutMs: 100, maxRetries: 1, backoffMs: 1, flushIntervalMs: 1 });
  const t = createSyslogTransport(c, '/', product);
  const q = sinkQueue(c, t, undefined);
  q.offer(ev(1));
  await waitFor(() => q.stats.droppedFailed === 1, 5000, 'drop');
  assert.equal(q.stats.sent, 0);
  await q.close(10);
  await t.close();
  await hang.close();
});
