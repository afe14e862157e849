import http from 'node:http';
import https from 'node:https';
import { AggregatorRegistry, type Registry } from 'prom-client';
import { PortcullisError } from '../errors/index.js';
import { createAdminHandler, type AdminHandlerOptions, type AdminRoute, type Exposition, type HealthReport } from './handler.js';

export type { AdminRoute, HealthReport } from './handler.js';

/** Options of {@link startAdminServer}. */
export interface AdminServerOptions {
  host: string;
  /** 0 picks a free port. */
  port: number;
  /** Registry exposed on `/metrics`. */
  registry: Registry;
  /** Liveness and readiness, asked on every `/healthz` and `/readyz`. */
  health: () => HealthReport;
  /** Extra endpoints (exact path match). */
  routes?: AdminRoute[];
  /** Called with errors of route handlers and metric collection. */
  onError?: (err: unknown) => void;
  /** Serve HTTPS with these options (certificate, key, and for mTLS the client CA). */
  tls?: https.ServerOptions;
  /** Unmatched paths under these prefixes go to this handler (the `--workers` primary forwards the admin API). */
  fallback?: AdminHandlerOptions['fallback'];
}

/** A running admin listener. */
export interface AdminServer {
  readonly url: string;
  readonly port: number;
  /** Stops accepting; requests in flight get a second to finish. */
  close(): Promise<void>;
}

const CLOSE_GRACE_MS = 1_000;

function listen(host: string, port: number, handler: http.RequestListener, tls?: https.ServerOptions): Promise<AdminServer> {
  // The admin listener answers operators and scrapers: small heads, short deadlines.
  const limits = { maxHeaderSize: 8_192, headersTimeout: 5_000, requestTimeout: 15_000, keepAliveTimeout: 5_000 };
  const server = tls === undefined ? http.createServer(limits, handler) : https.createServer({ ...tls, ...limits }, handler);
  server.maxConnections = 256;
  return new Promise((resolve, reject) => {
    server.once('error', (err) => reject(new PortcullisError('PCL_ERR_LISTEN', `cannot listen on ${host}:${port} (admin): ${err.message}`, { cause: err })));
    server.listen(port, host, () => {
      const addr = server.address();
      const bound = typeof addr === 'object' && addr !== null ? addr.port : port;
      const shown = host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '[::1]' : host.includes(':') ? `[${host}]` : host;
      resolve({
        url: `${tls === undefined ? 'http' : 'https'}://${shown}:${bound}`,
        port: bound,
        close: () => new Promise<void>((done) => {
          const timer = setTimeout(() => server.closeAllConnections(), CLOSE_GRACE_MS);
          timer.unref();
          server.close(() => { clearTimeout(timer); done(); });
          server.closeIdleConnections();
        }),
      });
    });
  });
}

/**
 * Starts the admin listener: `GET /metrics` (Prometheus text), `GET /healthz` (200
 * `{"status":"ok"}` while live), `GET /readyz` (200 when ready, 503 while starting or
 * draining), plus `routes`. Unknown paths get 404 and wrong methods 405, as problem+json.
 *
 * @example
 * const admin = await startAdminServer({
 *   host: '127.0.0.1', port: 9901, registry: metrics.registry,
 *   health: () => ({ live: true, ready: !draining }),
 * });
 * // … on shutdown
 * await admin.close();
 */
export async function startAdminServer(opts: AdminServerOptions): Promise<AdminServer> {
  const { registry } = opts;
  const metrics = async (): Promise<Exposition> => ({ contentType: registry.contentType, body: await registry.metrics() });
  return listen(opts.host, opts.port, createAdminHandler({ metrics, health: opts.health, routes: opts.routes ?? [], ...(opts.onError ? { onError: opts.onError } : {}), ...(opts.fallback ? { fallback: opts.fallback } : {}) }), opts.tls);
}

/**
 * Starts the admin listener in a cluster primary: `/metrics` serves the metrics of all
 * workers, summed (gauges as documented by their aggregator), collected over IPC with
 * prom-client's `AggregatorRegistry`. Workers must create their metrics on prom-client's
 * default registry (what `createMetrics()` does by default); a worker that has not done so
 * yet does not answer, and the scrape fails with 500 after prom-client's 5 s timeout.
 *
 * @example
 * if (cluster.isPrimary) {
 *   for (let i = 0; i < 4; i++) cluster.fork();
 *   await startClusterAdminServer({ host: '127.0.0.1', port: 9901, health: () => ({ live: true, ready: true }) });
 * }
 */
export async function startClusterAdminServer(opts: Omit<AdminServerOptions, 'registry'>): Promise<AdminServer> {
  const aggregator = new AggregatorRegistry();
  const metrics = async (): Promise<Exposition> => ({ contentType: aggregator.contentType, body: await aggregator.clusterMetrics() });
  return listen(opts.host, opts.port, createAdminHandler({ metrics, health: opts.health, routes: opts.routes ?? [], ...(opts.onError ? { onError: opts.onError } : {}), ...(opts.fallback ? { fallback: opts.fallback } : {}) }), opts.tls);
}
