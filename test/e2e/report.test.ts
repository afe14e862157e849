import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { runCli } from '../helpers/gateway.js';
import { fixture } from '../helpers/paths.js';

const CHROMIUM = '/usr/bin/chromium';
const skip = existsSync(CHROMIUM) ? false : `${CHROMIUM} is absent: install Debian's chromium to run the report browser test`;
const CONFIG = fixture('report', 'portcullis.yaml');
const EVENTS = fixture('report', 'events.jsonl');

describe('portcullis report through the real CLI', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pcl-report-'));

  test('JSON: controls, gaps and event counts; usage errors exit 2', async () => {
    const r = await runCli(['report', '-c', CONFIG, '--events', EVENTS, '--since', '2026-11-25']);
    assert.equal(r.code, 0, r.stderr);
    const report = JSON.parse(r.stdout) as { eventCount: number; skippedLines: number; controls: { id: string; enabled: boolean; eventTotal: number }[] };
    assert.equal(report.eventCount, 7);
    assert.equal(report.skippedLines, 1);
    assert.deepEqual(report.controls.find((c) => c.id === 'waf'), { ...report.controls.find((c) => c.id === 'waf'), enabled: true, eventTotal: 1 });
    assert.equal(report.controls.find((c) => c.id === 'tls')?.enabled, false);
    const noConfig = await runCli(['report']);
    assert.equal(noConfig.code, 2);
    assert.match(noConfig.stderr, /-c\/--config is required/);
    const both = await runCli(['report', '-c', CONFIG, '--events', EVENTS, '--admin', 'http://127.0.0.1:1']);
    assert.equal(both.code, 2);
    const missing = await runCli(['report', '-c', CONFIG, '--events', join(dir, 'none.jsonl')]);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /none\.jsonl/);
    const pdfToStdout = await runCli(['report', '-c', CONFIG, '-f', 'pdf']);
    assert.equal(pdfToStdout.code, 2);
    assert.match(pdfToStdout.stderr, /--format pdf needs -o FILE/);
  });

  describe('the HTML report in a real browser', { skip }, () => {
    let browser: Browser;
    let page: Page;
    const problems: string[] = [];
    before(async () => {
      browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'] });
      page = await browser.newPage();
      page.on('console', (m) => { if (m.type() === 'error' || m.type() === 'warning') problems.push(m.text()); });
      page.on('pageerror', (e) => problems.push(e.message));
      page.on('request', (req) => { if (!req.url().startsWith('file:')) problems.push(`request to ${req.url()}`); });
    });
    after(async () => { await browser?.close(); });

    test('sections and the plot render, no console errors, no requests, strict CSP', async () => {
      const file = join(dir, 'report.html');
      const r = await runCli(['report', '-c', CONFIG, '--events', EVENTS, '--since', '2026-11-25', '-f', 'html', '-o', file]);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stderr, /7\/13 controls enabled, 7 events; written to/);
      await page.goto(pathToFileURL(file).href);
      assert.equal(await page.title(), 'Portcullis compliance evidence');
      const csp = await page.locator('meta[http-equiv="Content-Security-Policy"]').getAttribute('content');
      assert.match(csp ?? '', /^default-src 'none'; style-src 'sha256-/);
      for (const heading of ['Security events per day', 'Controls', 'OWASP API Security Top 10 (2023) coverage']) {
        assert.ok(await page.getByRole('heading', { name: heading }).isVisible(), heading);
      }
      // The stylesheet applied (CSP hash matches): enabled controls are green.
      assert.equal(await page.locator('td.ok').first().evaluate((el) => (globalThis as unknown as { getComputedStyle(e: unknown): { color: string } }).getComputedStyle(el).color), 'rgb(26, 127, 55)');
      const svg = page.locator('svg#timeline');
      assert.ok(await svg.isVisible());
      const box = await svg.boundingBox();
      assert.ok(box !== null && box.width > 300 && box.height > 100, JSON.stringify(box));
      assert.equal(await page.locator('svg#timeline rect').count(), 6, 'one bar segment per day and kind with events');
      assert.ok((await page.locator('table').first().innerText()).includes('164.312(d) person or entity authentication'));
      assert.deepEqual(problems, []);
    });

    test('PDF through Chromium', async () => {
      const file = join(dir, 'report.pdf');
      const r = await runCli(['report', '-c', CONFIG, '--events', EVENTS, '-f', 'pdf', '-o', file]);
      assert.equal(r.code, 0, r.stderr);
      const pdf = readFileSync(file);
      assert.equal(pdf.subarray(0, 5).toString(), '%PDF-');
      assert.ok(pdf.length > 5000);
    });
  });
});
