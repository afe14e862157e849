import type https from 'node:https';
import { resolve } from 'node:path';
import type { LoadedConfig } from '../config/load.js';
import type { AuditService } from '../observability/audit/service.js';
import { tlsOptions } from '../server/listeners.js';
import type { Gateway } from '../server/gateway.js';
import { createAdminApi } from './api.js';
import { createDashboardRoutes } from './dashboard.js';
import { EventRing } from './events.js';
import { adminGuard, type AdminAuth } from './guard.js';
import type { AdminRoute } from './handler.js';
import { createInsightApi } from './insight-api.js';
import { LiveStats } from './stats.js';
import { createInventoryRoutes, type InventoryService } from './inventory-api.js';
import { LifecycleUsage } from '../observability/lifecycle-usage.js';

/** What the admin listener of one gateway process serves beyond metrics and health. */
export interface AdminSetup {
  readonly routes: AdminRoute[];
  /** HTTPS options when admin.tls is set. */
  readonly tls: https.ServerOptions | undefined;
  /** Whether the admin API and dashboard are on (a token or an admin client CA is configured). */
  readonly apiEnabled: boolean;
  /** Unsubscribes the live statistics and the event ring. */
  close(): void;
}

/**
 * The admin auth configured: the token, and mTLS when the admin listener has a client CA.
 *
 * @example
 * adminAuth(config.admin); // { token: '…', mtls: false }
 */
export function adminAuth(admin: LoadedConfig['config']['admin']): AdminAuth {
  return { token: admin.token, mtls: admin.tls?.clientCa !== undefined };
}

/**
 * The admin listener's HTTPS options (paths relative to the config file), when admin.tls is set.
 *
 * @example
 * const tls = adminTls(loaded);
 */
export function adminTls(loaded: LoadedConfig): https.ServerOptions | undefined {
  const t = loaded.config.admin.tls;
  if (t === undefined) return undefined;
  const abs = (f: string) => resolve(loaded.baseDir, f);
  return tlsOptions({ ...t, cert: abs(t.cert), key: abs(t.key), ...(t.clientCa === undefined ? {} : { clientCa: abs(t.clientCa) }), crl: t.crl.map(abs) });
}

/**
 * Builds the admin listener's routes for one gateway process: the admin API, the operator's
 * insight endpoints (stats, events, audit, penalties, APIs) and the dashboard, plus the HTTPS
 * options. The statistics and event ring subscribe here, so they count from this moment.
 * `proxySecret` (workers only) authenticates calls forwarded by the `--workers` primary.
 *
 * @example
 * const setup = setupAdmin(loaded, gateway, audit, version);
 * await startAdminServer({ ..., routes: setup.routes, tls: setup.tls });
 */
export function setupAdmin(loaded: LoadedConfig, gateway: Gateway, audit: AuditService | undefined, version: string, opts: { proxySecret?: string | undefined; lifecycleUsage?: LifecycleUsage; inventory?: InventoryService } = {}): AdminSetup {
  const tls = adminTls(loaded);
  const auth = { ...adminAuth(loaded.config.admin), proxySecret: opts.proxySecret };
  if (auth.token === undefined && !auth.mtls) return { routes: [], tls, apiEnabled: false, close: () => {} };
  const stats = new LiveStats();
  const events = new EventRing(1000);
  const usage = opts.lifecycleUsage ?? new LifecycleUsage();
  const stops = [stats.subscribe(), events.subscribe(), ...(opts.lifecycleUsage === undefined ? [usage.subscribe()] : [])];
  const routes = [
    ...createAdminApi(auth, { runtime: gateway.runtime, reload: gateway.reload, startedAt: Date.now(), version, store: gateway.store }),
    ...createInsightApi(adminGuard(auth), {
      stats, events, store: gateway.store, runtime: gateway.runtime, lifecycle: usage,
      audit: audit === undefined ? undefined : { store: audit.store, instance: audit.instance, publicKey: audit.publicKey },
    }),
    ...createInventoryRoutes(adminGuard(auth), opts.inventory),
    ...createDashboardRoutes(),
  ];
  return { routes, tls, apiEnabled: true, close: () => { for (const stop of stops) stop(); } };
}
