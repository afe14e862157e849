import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { booksConfig } from '../helpers/config.js';
import { startGatewayProcess, type GatewayProcess } from '../helpers/gateway.js';
import { startBrowser, type TestBrowser } from '../helpers/browser.js';
import { CHROMIUM, needInput } from '../helpers/inputs.js';
import { startUpstream, type FakeUpstream } from '../helpers/upstream.js';

const TOKEN = 'dash-anomaly-token-0123456789abcdef';
const skip = needInput('Chromium', CHROMIUM, "apt-get install -y chromium; .ci/run installs it");

describe('dashboard: current anomalies with their explanations, in a real browser', { skip }, () => {
  let up: FakeUpstream;
  let gw: GatewayProcess;
  let browser: TestBrowser;

  before(async () => {
    up = await startUpstream((req, res) => {
      res.writeHead(req.headers['x-deny'] === '1' ? 404 : 200, { 'content-type': 'application/json' });
      res.end('{}');
    });
    const apiExtra = `    stages:
      anomaly:
        identity: [[header:x-client], [ip]]
        window: 1h
        detectors:
          probing: { minErrors: 4, minOperations: 3, action: block, duration: 5m }
`;
    gw = await startGatewayProcess(booksConfig(up.url, { apiExtra, admin: '  token: ${ADMIN_TOKEN}' }).file, { env: { ADMIN_TOKEN: TOKEN } });
    // The attack: 4xx over four operations from one client.
    for (const p of ['/v1/books', '/v1/books/1', '/v1/slow', '/v1/books/2']) await fetch(`${gw.url}${p}`, { headers: { 'x-client': 'mapper', 'x-deny': '1' } });
    await gw.waitForLog((l) => l.event === 'anomaly.detected' && l.reason === 'probing');
    browser = await startBrowser();
  });
  after(async () => {
    await browser?.close();
    await gw?.stop();
    await up?.close();
  });

  test('the panel lists the probing client with detector, action and explanation', async () => {
    const { page } = browser;
    await page.goto(`${gw.adminUrl}/dashboard`);
    await page.fill('input[name="token"]', TOKEN);
    await page.click('button[type="submit"]');
    const table = page.locator('[data-testid="anomalies"]');
    await table.locator('td.c-reason', { hasText: 'probing' }).first().waitFor({ timeout: 30_000 });
    const row = table.locator('tbody tr').first();
    assert.equal(await row.locator('td.c-action').innerText(), 'block');
    assert.match(await row.locator('td.c-who').innerText(), /^header:x-client:[A-Za-z0-9_-]{12}$/);
    assert.match(await row.locator('td.c-excerpt').innerText(), /^4xx burst: 4 client errors across 3 operations in this 1h window/);
    assert.deepEqual(browser.cspViolations, []);
  });
});
