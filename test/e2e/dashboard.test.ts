import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { E2E_PREAMBLE } from '../helpers/config.js';
import { startGatewayProcess, writeConfig, type GatewayProcess } from '../helpers/gateway.js';
import { CHROMIUM, needInput } from '../helpers/inputs.js';
import { REPO_ROOT, fixture } from '../helpers/paths.js';
import { startUpstream, type FakeUpstream } from '../helpers/upstream.js';

const TOKEN = 'dash-admin-token-0123456789abcdef';
/** Set (e.g. to docs/img/dashboard.png) to save a screenshot of the dashboard after the test's steps. */
const SCREENSHOT = process.env['PCL_DASHBOARD_SCREENSHOT'];
const skip = needInput('Chromium', CHROMIUM, "apt-get install -y chromium; .ci/run installs it");

/** An API behind API keys (none valid), a pre-auth rate limit of 20 per hour per IP with penalties, the audit trail on. */
function config(upstream: string): { file: string } {
  return writeConfig(`${E2E_PREAMBLE.replace('admin:\n  port: 0\n', 'admin:\n  port: 0\n  token: ${ADMIN_TOKEN}\n')}audit:
  enabled: true
  instance: dash-e2e
  flushIntervalMs: 5
apis:
  - name: books
    upstream: ${upstream}
    openapi: ./keys-books.yaml
    stages:
      authn:
        schemes:
          apiKey:
            kind: api-key
            file: ./keys.yaml
            pepper: dash-e2e-pepper-0123456789-abcdefghij
            reloadCheckMs: 0
      rate-limit:
        limits:
          - { name: burst, limit: 20, window: 1h, phase: pre-auth }
        penalty:
          enabled: true
          allowStrikes: 2
          ladder: [1h]
`, { 'keys-books.yaml': readFileSync(fixture('authn-keys', 'keys-books.yaml'), 'utf8'), 'keys.yaml': 'keys: []\n' });
}

/**
 * Waits until the table has at least `min` rows and every kind cell equals `kind` (or starts with
 * it, when it ends with "."). A function, not a string: the dashboard's CSP (script-src 'self')
 * refuses string expressions as eval.
 */
const waitForKinds = (page: Page, testid: string, min: number, kind: string) => page.waitForFunction((a) => {
  const doc = (globalThis as unknown as { document: { querySelectorAll(s: string): ArrayLike<{ textContent: string | null }> } }).document;
  const ks = Array.from(doc.querySelectorAll(`[data-testid="${a.testid}"] td.c-kind`), (td) => td.textContent ?? '');
  return ks.length >= a.min && ks.every((k) => (a.kind.endsWith('.') ? k.startsWith(a.kind) : k === a.kind));
}, { testid, min, kind });
const rows = (page: Page, testid: string) => page.locator(`[data-testid="${testid}"] tbody tr`);

describe('dashboard in a real browser', { skip }, () => {
  let up: FakeUpstream;
  let gw: GatewayProcess;
  let context: BrowserContext;
  let page: Page;
  let profile: string;
  const cspViolations: string[] = [];
  const statuses: number[] = [];

  before(async () => {
    up = await startUpstream();
    gw = await startGatewayProcess(config(up.url).file, { env: { ADMIN_TOKEN: TOKEN } });
    // The attacks: unknown API keys, unknown routes, then a burst past the rate limit into the penalty.
    for (let i = 0; i < 5; i++) statuses.push((await fetch(`${gw.url}/v1/books`, { headers: { 'x-api-key': `pcl_bogus${i}_notakey` } })).status);
    for (const p of ['/v1/admin.php', '/wp-login.php']) statuses.push((await fetch(`${gw.url}${p}`)).status);
    for (let i = 0; i < 25; i++) statuses.push((await fetch(`${gw.url}/v1/health`)).status);
    profile = mkdtempSync(join(tmpdir(), 'pcl-chromium-'));
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      viewport: { width: 1400, height: 1800 },
      args: ['--no-sandbox', '--headless', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    page = context.pages()[0] ?? await context.newPage();
    page.on('console', (m) => { if (/Content Security Policy|Refused to/i.test(m.text())) cspViolations.push(m.text()); });
  });
  after(async () => {
    await context?.close();
    await gw?.stop();
    await up?.close();
    if (profile !== undefined) rmSync(profile, { recursive: true, force: true });
  });

  test('the attacks were refused as expected', () => {
    assert.deepEqual(statuses.slice(0, 5), [401, 401, 401, 401, 401]);
    assert.deepEqual(statuses.slice(5, 7), [404, 404]);
    assert.ok(statuses.slice(7).includes(429), `a burst past the limit gets 429: ${statuses.join(',')}`);
  });

  test('the page is served with a strict CSP and no inline script', async () => {
    const res = await fetch(`${gw.adminUrl}/dashboard`);
    assert.equal(res.status, 200);
    const csp = res.headers.get('content-security-policy') ?? '';
    assert.match(csp, /script-src 'self';/);
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
    assert.doesNotMatch(await res.text(), /<script(?![^>]*\bsrc=)[^>]*>/);
  });

  test('a wrong token is refused with a message; the right one signs in', async () => {
    await page.goto(`${gw.adminUrl}/dashboard`);
    await page.fill('input[name="token"]', 'not-the-token-but-long-enough');
    await page.click('button[type="submit"]');
    await page.locator('[data-testid="login-error"]').waitFor();
    assert.match(await page.locator('[data-testid="login-error"]').innerText(), /refused/);
    assert.equal(await page.evaluate(() => (globalThis as unknown as { sessionStorage: { length: number } }).sessionStorage.length), 0);
    await page.fill('input[name="token"]', TOKEN);
    await page.click('button[type="submit"]');
    await page.locator('[data-testid="status"]').waitFor();
    assert.match(page.url(), /\/dashboard$/, 'the token never appears in the URL');
  });

  test('recent events show the attacks, and the filter narrows them', async () => {
    const events = page.locator('[data-testid="events"]');
    await events.locator('td.c-kind', { hasText: 'authn.failure' }).first().waitFor();
    await events.locator('td.c-kind', { hasText: 'ratelimit.' }).first().waitFor();
    await events.locator('td.c-kind', { hasText: 'admin.denied' }).first().waitFor();
    const form = page.locator('[data-testid="events-form"]');
    await form.locator('input[name="kind"]').fill('ratelimit*');
    await form.locator('button[type="submit"]').click();
    await waitForKinds(page, 'events', 1, 'ratelimit.');
    const kinds = await rows(page, 'events').locator('td.c-kind').allInnerTexts();
    assert.ok(kinds.every((k) => k.startsWith('ratelimit.')), kinds.join(','));
  });

  test('stats show rejections by stage, the offending client and the penalty', async () => {
    await page.locator('[data-testid="rejections"] td.c-stage', { hasText: 'authn' }).first().waitFor();
    await page.locator('[data-testid="rejections"] td.c-code', { hasText: 'PCL_RATE_LIMIT' }).first().waitFor();
    await page.locator('[data-testid="offenders"] td.c-key', { hasText: '127.0.0.1' }).first().waitFor();
    await page.locator('[data-testid="penalties"] td.c-scope', { hasText: 'ip.127.0.0.1' }).first().waitFor();
    await page.locator('[data-testid="api-books"] td.c-operation', { hasText: 'listBooks' }).waitFor();
  });

  test('audit search finds the failed authentications and the chain verifies', async () => {
    await page.locator('[data-testid="chain-status"]', { hasText: /^OK/ }).waitFor();
    const form = page.locator('[data-testid="audit-form"]');
    await form.locator('input[name="kind"]').fill('authn.failure');
    await form.locator('button[type="submit"]').click();
    await waitForKinds(page, 'audit-results', 5, 'authn.failure');
    await form.locator('input[name="kind"]').fill('');
    await form.locator('input[name="text"]').fill('" OR 1=1 -- NEAR(');
    await form.locator('button[type="submit"]').click();
    await page.locator('[data-testid="audit-results-empty"]').waitFor();
    await page.locator('[data-testid="chain-status"]', { hasText: /^OK/ }).waitFor();
    await form.locator('input[name="text"]').fill('');
    await form.locator('button[type="submit"]').click();
    await rows(page, 'audit-results').first().waitFor();
  });

  test('the inventory view renders shadow endpoints, used operations and the summary', async () => {
    const shadow = page.locator('[data-testid="inventory-shadow"]');
    await shadow.locator('td.c-template', { hasText: '/v1/admin.php' }).first().waitFor();
    const row = shadow.locator('tr', { has: page.locator('td.c-template', { hasText: '/v1/admin.php' }) }).first();
    assert.equal(await row.locator('td.c-method').innerText(), 'GET');
    assert.match(await row.locator('td.c-statuses').innerText(), /4xx: 1/);
    await page.locator('[data-testid="inventory-used"] td.c-operation', { hasText: 'listBooks' }).first().waitFor();
    assert.match(await page.locator('[data-testid="inventory-summary"]').innerText(), /^\d+ shadow, \d+ used, \d+ zombie/);
  });

  test('no CSP violation was reported; optional screenshot', async () => {
    assert.deepEqual(cspViolations, []);
    if (SCREENSHOT !== undefined) {
      const out = join(REPO_ROOT, SCREENSHOT);
      mkdirSync(dirname(out), { recursive: true });
      // Back to the unfiltered view, with charts drawn, for a representative picture.
      await page.locator('[data-testid="events-form"] input[name="kind"]').fill('');
      await page.locator('[data-testid="events-form"] button[type="submit"]').click();
      await page.locator('.uplot').first().waitFor();
      await page.screenshot({ path: out, fullPage: true });
    }
  });
});
