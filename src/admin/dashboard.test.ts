import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createDashboardRoutes, loadDashboardAssets } from './dashboard.js';

test('dashboard assets come from the package and node_modules; hooks import preact by our path', () => {
  const assets = loadDashboardAssets();
  const paths = assets.map((a) => a.path);
  for (const p of ['/dashboard', '/dashboard/', '/dashboard/app.js', '/dashboard/app.css', '/dashboard/vendor/preact.module.js', '/dashboard/vendor/hooks.module.js', '/dashboard/vendor/htm.module.js', '/dashboard/vendor/uPlot.esm.js', '/dashboard/vendor/uPlot.min.css']) {
    assert.ok(paths.includes(p), p);
  }
  const hooks = assets.find((a) => a.path === '/dashboard/vendor/hooks.module.js')!.body.toString();
  assert.doesNotMatch(hooks, /from\s*["']preact["']/);
  assert.match(hooks, /from"\/dashboard\/vendor\/preact\.module\.js"/);
  // No asset references a remote origin (no CDN).
  for (const a of assets.filter((x) => !x.path.includes('/vendor/'))) assert.doesNotMatch(a.body.toString(), /https?:\/\//, a.path);
  // Every own script is loaded as a module from this origin; the page has no inline script.
  const page = assets.find((a) => a.path === '/dashboard')!.body.toString();
  assert.doesNotMatch(page, /<script(?![^>]*\bsrc=)[^>]*>/);
  assert.equal(createDashboardRoutes(assets).length, assets.length);
});
