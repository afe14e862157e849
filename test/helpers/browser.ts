import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { CHROMIUM } from './inputs.js';

/** A headless Chromium page that records Content-Security-Policy violations. */
export interface TestBrowser {
  readonly page: Page;
  readonly context: BrowserContext;
  /** Console messages about CSP refusals (the dashboard must cause none). */
  readonly cspViolations: string[];
  close(): Promise<void>;
}

/**
 * Starts Debian's Chromium headless with a throw-away profile (callers skip when it is missing,
 * see `needInput`).
 *
 * @example
 * const b = await startBrowser();
 * await b.page.goto(url);
 * await b.close();
 */
export async function startBrowser(): Promise<TestBrowser> {
  const profile = mkdtempSync(join(tmpdir(), 'pcl-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1400, height: 1800 },
    args: ['--no-sandbox', '--headless', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const page = context.pages()[0] ?? await context.newPage();
  const cspViolations: string[] = [];
  page.on('console', (m) => { if (/Content Security Policy|Refused to/i.test(m.text())) cspViolations.push(m.text()); });
  return {
    page, context, cspViolations,
    close: async () => { await context.close(); rmSync(profile, { recursive: true, force: true }); },
  };
}
