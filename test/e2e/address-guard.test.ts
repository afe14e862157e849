import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { E2E_PREAMBLE } from '../helpers/config.js';
import { runCli, startGatewayProcess, writeConfig, type GatewayProcess } from '../helpers/gateway.js';
import { startUpstream, type FakeUpstream } from '../helpers/upstream.js';

describe('addressGuard: an upstream name that resolves to a forbidden address is never connected to', () => {
  let up: FakeUpstream;
  let gw: GatewayProcess;
  before(async () => {
    up = await startUpstream();
    const api = (name: string, guard: string) => `  - name: ${name}\n    upstream: http://localhost:${up.port}\n    prefixes: [/${name}]\n    retries: 0\n${guard}`;
    gw = await startGatewayProcess(writeConfig(`${E2E_PREAMBLE}apis:\n${api('guarded', '    addressGuard: {}\n')}${api('allowed', '    addressGuard:\n      allow: [127.0.0.0/8, "::1"]\n')}${api('plain', '')}`).file);
  });
  after(async () => { await gw?.stop(); await up?.close(); });

  test('attack: localhost resolves to loopback: 502 PCL_UPSTREAM_ADDRESS_REFUSED, a high-severity event, nothing sent', async () => {
    const before = up.seen.length;
    const res = await fetch(`${gw.url}/guarded/internal`);
    assert.equal(res.status, 502);
    const body = await res.json() as { code: string; detail: string };
    assert.equal(body.code, 'PCL_UPSTREAM_ADDRESS_REFUSED');
    assert.doesNotMatch(body.detail, /127\.0\.0\.1|loopback/, 'the client never learns the internal address');
    assert.equal(up.seen.length, before);
    const id = res.headers.get('x-request-id');
    const event = await gw.waitForLog((l) => l.msg === 'security event' && l.reqId === id);
    assert.deepEqual([event.event, event.reason, event.severity], ['upstream.error', 'address_refused', 'high']);
  });

  test('allow lets the chosen ranges through; without addressGuard nothing changes', async () => {
    assert.equal((await fetch(`${gw.url}/allowed/x`)).status, 200);
    assert.equal((await fetch(`${gw.url}/plain/x`)).status, 200);
  });

  test('an upstream written as a disguised loopback address is a config error with file:line', async () => {
    const { file } = writeConfig(`${E2E_PREAMBLE}apis:\n  - name: sneaky\n    upstream: http://2130706433:8080\n    prefixes: [/s]\n    addressGuard: {}\n  - name: meta\n    upstream: http://[::ffff:a9fe:a9fe]/\n    prefixes: [/m]\n    addressGuard:\n      allow: [10.0.0.0/8]\n`);
    const r = await runCli(['validate', '-c', file]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /portcullis\.yaml:\d+ apis\[0\]\.upstream: upstream address 127\.0\.0\.1 is loopback/);
    assert.match(r.stderr, /portcullis\.yaml:\d+ apis\[1\]\.upstream: upstream address \[::ffff:a9fe:a9fe\] is cloud-metadata/);
  });
});
