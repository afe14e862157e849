import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { findPackageRoot } from '../util/package-root.js';
import type { AdminRoute } from './handler.js';

/**
 * The dashboard's Content-Security-Policy: scripts and styles from this origin only (no inline
 * script, no eval), data only from the admin API, no framing, no form posts elsewhere.
 */
export const DASHBOARD_CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
  + "font-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

interface Asset { readonly path: string; readonly type: string; readonly body: Buffer }

const OWN = ['index.html', 'app.js', 'api.js', 'charts.js', 'views.js', 'audit-view.js', 'inventory-view.js', 'anomaly-view.js', 'app.css'];
const TYPES: Record<string, string> = { html: 'text/html; charset=utf-8', js: 'text/javascript; charset=utf-8', css: 'text/css; charset=utf-8' };
const typeOf = (file: string) => TYPES[file.slice(file.lastIndexOf('.') + 1)] ?? 'application/octet-stream';

/**
 * Reads every dashboard file once, at startup: our own files from `src/dashboard/assets` (found
 * from the package root, since the compiler does not copy them to dist/), and the libraries from
 * node_modules as resolved by Node (preact, preact/hooks, htm, uplot): nothing is fetched from a CDN.
 * preact/hooks imports the bare specifier "preact", which browsers cannot resolve without an
 * (inline, CSP-unfriendly) import map, so it is served with that import rewritten to our path.
 *
 * @example
 * const assets = loadDashboardAssets();
 */
export function loadDashboardAssets(): Asset[] {
  const own = join(findPackageRoot(import.meta.url), 'src', 'dashboard', 'assets');
  const require = createRequire(import.meta.url);
  const dir = (spec: string) => dirname(require.resolve(spec));
  const vendor: [string, string][] = [
    ['preact.module.js', join(dir('preact'), 'preact.module.js')],
    ['hooks.module.js', join(dir('preact/hooks'), 'hooks.module.js')],
    ['htm.module.js', join(dir('htm'), 'htm.module.js')],
    ['uPlot.esm.js', join(dir('uplot'), 'uPlot.esm.js')],
    ['uPlot.min.css', join(dir('uplot'), 'uPlot.min.css')],
  ];
  const assets: Asset[] = OWN.map((f) => ({ path: f === 'index.html' ? '/dashboard' : `/dashboard/${f}`, type: typeOf(f), body: readFileSync(join(own, f)) }));
  assets.push({ ...assets[0]!, path: '/dashboard/' });
  for (const [name, file] of vendor) {
    let text = readFileSync(file, 'utf8');
    if (name === 'hooks.module.js') text = text.replaceAll(/from\s*["']preact["']/g, 'from"/dashboard/vendor/preact.module.js"');
    assets.push({ path: `/dashboard/vendor/${name}`, type: typeOf(name), body: Buffer.from(text) });
  }
  return assets;
}

/**
 * Routes serving the dashboard at `/dashboard` (exact paths only: no file system lookups per
 * request). The page and its scripts hold no data; every figure comes from the authenticated
 * admin API, with the token the operator types into the login form (kept in sessionStorage).
 *
 * @example
 * startAdminServer({ ..., routes: [...createDashboardRoutes(), ...api] });
 */
export function createDashboardRoutes(assets: readonly Asset[] = loadDashboardAssets()): AdminRoute[] {
  return assets.map((a) => ({
    method: 'GET', path: a.path,
    handler: (_req, res) => {
      res.writeHead(200, {
        'content-type': a.type, 'content-length': a.body.length, 'content-security-policy': DASHBOARD_CSP,
        'x-frame-options': 'DENY', 'referrer-policy': 'no-referrer', 'cross-origin-opener-policy': 'same-origin',
        'cross-origin-resource-policy': 'same-origin',
      });
      res.end(a.body);
    },
  }));
}
