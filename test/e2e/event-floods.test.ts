import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { booksConfig } from '../helpers/config.js';
import { startGatewayProcess, type GatewayProcess } from '../helpers/gateway.js';
import { startUpstream, type FakeUpstream } from '../helpers/upstream.js';

// One request per hour per client: every request after the first is a 429 and a ratelimit.exceeded event.
const ONE_PER_HOUR = '    stages:\n      rate-limit:\n        limits:\n          - { name: default, limit: 1, window: 1h, algorithm: fixed-window }\n';

/** Sends `n` GETs one after the other; asserts the first is served and every other one is 429 PCL_RATE_LIMITED. */
async function flood(gw: GatewayProcess, n: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    const res = await fetch(`${gw.url}/v1/books`);
    const body = await res.text();
    if (i === 0) { assert.equal(res.status, 200); continue; }
    assert.equal(res.status, 429);
    assert.equal((JSON.parse(body) as { code: string }).code, 'PCL_RATE_LIMITED');
  }
}

const eventLines = (gw: GatewayProcess) => gw.logs.filter((l) => l.msg === 'security event' && l.event === 'ratelimit.exceeded');
const summaries = (gw: GatewayProcess) => gw.logs.filter((l) => l.msg === 'security events suppressed' && l.event === 'ratelimit.exceeded');

async function countedDenials(gw: GatewayProcess): Promise<number> {
  const metrics = await (await fetch(`${gw.adminUrl}/metrics`)).text();
  return [...metrics.matchAll(/^portcullis_security_events_total\{kind="ratelimit\.exceeded"[^}]*\} (\d+)$/gm)].reduce((n, m) => n + Number(m[1]), 0);
}

describe('a flood of denials does not flood the process log (issue 12, item 5)', () => {
  let up: FakeUpstream;
  before(async () => { up = await startUpstream(); });
  after(async () => { await up.close(); });

  test('defaults (no logging.eventFloods block): at most 5 lines per kind, client and operation and 10 s interval, the rest summarised; the metric counts all', async () => {
    const gw = await startGatewayProcess(booksConfig(up.url, { eventFloods: '', apiExtra: ONE_PER_HOUR }).file);
    try {
      await flood(gw, 21);
      assert.equal(await countedDenials(gw), 20, 'metrics stay exact');
    } finally {
      await gw.stop();
    }
    // On a quiet machine the flood fits one interval: 5 lines and one summary of 15. A busy one may spread it over two.
    const suppressed = summaries(gw).reduce((n, l) => n + Number(l.suppressed), 0);
    assert.equal(eventLines(gw).length + suppressed, 20, 'every denial is logged or counted');
    assert.ok(summaries(gw).length >= 1 && eventLines(gw).length <= 5 * summaries(gw).length, `${eventLines(gw).length} lines, ${summaries(gw).length} summaries`);
    for (const l of summaries(gw)) {
      assert.equal(l.intervalSeconds, 10);
      assert.equal(l.level, 'warn');
      assert.equal(l.operation, 'listBooks');
      assert.equal(l.reqId, undefined);
    }
  });

  test('the summary of the interval still open is written at shutdown', async () => {
    const gw = await startGatewayProcess(booksConfig(up.url, { eventFloods: '  eventFloods:\n    intervalMs: 3600000\n', apiExtra: ONE_PER_HOUR }).file);
    try {
      await flood(gw, 21);
      assert.equal(await countedDenials(gw), 20);
      assert.equal(eventLines(gw).length, 5);
      assert.equal(summaries(gw).length, 0, 'the interval is still open');
    } finally {
      await gw.stop();
    }
    assert.deepEqual(summaries(gw).map((l) => l.suppressed), [15]);
  });

  test('logging.eventFloods sets the burst and the interval; aggregate: false logs every event', async () => {
    const gw = await startGatewayProcess(booksConfig(up.url, { eventFloods: '  eventFloods:\n    burst: 2\n    intervalMs: 1000\n', apiExtra: ONE_PER_HOUR }).file);
    try {
      await flood(gw, 11);
      // Written when the 1 s interval ends, not at shutdown.
      await gw.waitForLog((l) => l.msg === 'security events suppressed' && l.event === 'ratelimit.exceeded');
    } finally {
      await gw.stop();
    }
    // A busy machine can spread the flood over several intervals: each logs at most 2 and summarises the rest.
    const suppressed = summaries(gw).reduce((n, l) => n + Number(l.suppressed), 0);
    assert.equal(eventLines(gw).length + suppressed, 10, 'every denial is logged or counted');
    assert.ok(eventLines(gw).length <= 2 * (summaries(gw).length + 1) && suppressed > 0, `${eventLines(gw).length} lines, ${summaries(gw).length} summaries`);
    for (const l of summaries(gw)) assert.equal(l.intervalSeconds, 1);
    const all = await startGatewayProcess(booksConfig(up.url, { apiExtra: ONE_PER_HOUR }).file);
    try {
      await flood(all, 11);
      await all.waitForLog(() => eventLines(all).length === 10);
    } finally {
      await all.stop();
    }
    assert.equal(summaries(all).length, 0);
  });
});
