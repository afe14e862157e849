import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { booksConfig } from '../helpers/config.js';
import { startGatewayProcess, type GatewayProcess } from '../helpers/gateway.js';
import { startUpstream, type FakeUpstream } from '../helpers/upstream.js';

const BROWSER = {
  'user-agent': 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36',
  accept: 'application/json', 'accept-language': 'en', 'accept-encoding': 'gzip',
};

// createBook stands in for a login operation: the upstream answers 401 unless the password is right.
const botYaml = `    stages:
      bot:
        actions: [{ at: 50, action: "429" }]
        signals: { cadence: { weight: 0 } }
        allow: { userAgents: [friendly-monitor] }
        login:
          operations: [createBook]
          usernamePointer: /username
          perIp: []
          perSubnet: []
          perUsername: [{ at: 3, action: step-up }]
          distinctUsernamesPerIp: [{ at: 4, action: block }]
`;

describe('bot defence through a real gateway', () => {
  let up: FakeUpstream;
  let gw: GatewayProcess;
  before(async () => {
    up = await startUpstream((req, res, body) => {
      const ok = req.method !== 'POST' || (JSON.parse(body.toString() || '{}') as { password?: string }).password === 'right';
      res.writeHead(ok ? 200 : 401, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ ok }));
    });
    gw = await startGatewayProcess(booksConfig(up.url, { apiExtra: botYaml }).file);
  });
  after(async () => { await gw.stop(); await up.close(); });

  test('an automation user agent gets 429 PCL_BOT_THROTTLED; a browser and an allow-listed monitor pass', async () => {
    const bot = await fetch(`${gw.url}/v1/books`, { headers: { 'user-agent': 'python-requests/2.31' } });
    assert.equal(bot.status, 429);
    assert.equal((await bot.json() as { code: string }).code, 'PCL_BOT_THROTTLED');
    assert.equal((await fetch(`${gw.url}/v1/books`, { headers: BROWSER })).status, 200);
    assert.equal((await fetch(`${gw.url}/v1/books`, { headers: { 'user-agent': 'friendly-monitor/1.0 curl/8' } })).status, 200);
    const line = await gw.waitForLog((l) => l.event === 'bot.detected');
    assert.equal(line.reason, 'automation-user-agent');
  });

  const login = (username: string, password: string) => fetch(`${gw.url}/v1/books`, {
    method: 'POST', headers: { ...BROWSER, 'content-type': 'application/json' }, body: JSON.stringify({ username, password }),
  });

  test('credential stuffing: one account attacked needs step-up; many accounts from one IP are blocked', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) statuses.push((await login('victim', `guess${i}`)).status);
    assert.deepEqual(statuses, [401, 401, 401], 'the upstream refuses the guesses, the gateway counts them');
    const stepUp = await login('victim', 'guess9');
    assert.equal(stepUp.status, 401);
    assert.equal((await stepUp.json() as { code: string }).code, 'PCL_BOT_STEP_UP_REQUIRED');
    assert.equal(stepUp.headers.get('www-authenticate'), 'OTP realm="books", header="X-Portcullis-OTP", error="step_up_required"');
    // Distinct usernames from this address: victim + 3 more reaches 4.
    for (const u of ['u1', 'u2', 'u3']) assert.equal((await login(u, 'x')).status, 401);
    const blocked = await login('u4', 'right');
    assert.equal(blocked.status, 403);
    assert.equal((await blocked.json() as { code: string }).code, 'PCL_BOT_BLOCKED');
    const seen = up.seen.filter((r) => r.method === 'POST').length;
    assert.equal(seen, 6, 'refused attempts never reached the upstream');
    await gw.waitForLog((l) => l.event === 'credential-stuffing.detected');
  });
});
