import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { booksConfig } from '../helpers/config.js';
import { runCli, startGatewayProcess, type GatewayProcess } from '../helpers/gateway.js';
import { startUpstream, type FakeUpstream } from '../helpers/upstream.js';

// Issue 14 item 5: risk-tightened limits never go below the floor, and clients the bot stage
// allow-lists are never tightened, through a real gateway. Two clients behind a trusted proxy earn
// the same risk score (authorization denials); only the one the bot stage does not allow-list is
// tightened, and only to the band's factor.

const BROWSER = {
  'user-agent': 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36',
  accept: 'application/json', 'accept-language': 'en', 'accept-encoding': 'gzip',
};
const MONITOR = { 'user-agent': 'friendly-monitor/1.0', accept: 'application/json' };

const stages = (bands: string, floor = '') => `    stages:
      bot:
        signals: { cadence: { weight: 0 }, enumeration: { weight: 0 } }
        allow: { userAgents: [friendly-monitor] }
      authz:
        rules:
          - { id: reads, operations: [listBooks, getBook] }
          - { id: no-deletes, effect: deny, operations: [deleteBook], when: 'true' }
      rate-limit:
        limits: [{ name: per-client, limit: 1000, window: 1h, algorithm: fixed-window }]
        risk: { enabled: true, bands: ${bands}${floor} }
`;

describe('risk tightening through a real gateway: a floor, and never for allow-listed clients', () => {
  let up: FakeUpstream;
  let gw: GatewayProcess;
  before(async () => {
    up = await startUpstream();
    const cfg = booksConfig(up.url, { server: '  trustedProxies: [127.0.0.1/32]\n', apiExtra: stages('[{ score: 20, factor: 0.5 }]', ', floor: 0.5') });
    gw = await startGatewayProcess(cfg.file);
  });
  after(async () => { await gw?.stop(); await up?.close(); });

  const policyOf = async (client: string, headers: Record<string, string>): Promise<string | null> => {
    const res = await fetch(`${gw.url}/v1/books`, { headers: { ...headers, 'x-forwarded-for': client } });
    const text = await res.text();
    assert.equal(res.status, 200, `${client}: ${text}`);
    return res.headers.get('ratelimit-policy');
  };

  test('the same risk score tightens an ordinary client to the band (never below the floor) and leaves an allow-listed one alone', async () => {
    const clients = [{ ip: '198.51.100.20', headers: BROWSER }, { ip: '198.51.100.21', headers: MONITOR }];
    for (const c of clients) {
      assert.equal(await policyOf(c.ip, c.headers), '"per-client";q=1000;w=3600', 'untightened before any event');
      // Three denials, 10 points each: past the band's 20 even after a few seconds of decay.
      for (let i = 0; i < 3; i++) {
        const res = await fetch(`${gw.url}/v1/books/${i}`, { method: 'DELETE', headers: { ...c.headers, 'x-forwarded-for': c.ip } });
        assert.equal(res.status, 403, `${c.ip}: ${await res.text()}`);
      }
    }
    // The score is written in the background and read through a 1 s cache: wait for the ordinary client's band.
    let ordinary: string | null = null;
    for (let i = 0; i < 100 && ordinary !== '"per-client";q=500;w=3600'; i++) {
      ordinary = await policyOf(clients[0]!.ip, clients[0]!.headers);
      if (ordinary !== '"per-client";q=500;w=3600') await sleep(100);
    }
    assert.equal(ordinary, '"per-client";q=500;w=3600', 'tightened to the band, which the floor (0.5) allows');
    assert.equal(await policyOf(clients[1]!.ip, clients[1]!.headers), '"per-client";q=1000;w=3600', 'the allow-listed monitor, same score: not tightened');
  });

  test('a band below the floor is refused at load, with its file and line', async () => {
    const cfg = booksConfig(up.url, { apiExtra: stages('[{ score: 20, factor: 0.01 }]') });
    const r = await runCli(['validate', '-c', cfg.file]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /portcullis\.yaml:\d+ .*risk\.bands\[0\]\.factor 0\.01 is below risk\.floor 0\.05/);
  });
});
