import cluster from 'node:cluster';
import { loadConfig, type LoadedConfig } from '../config/load.js';
import { internalJwksRoute } from '../admin/authn-admin.js';
import { forwardToWorker, newProxySecret } from '../admin/cluster-proxy.js';
import { adminTls, setupAdmin } from '../admin/setup.js';
import { startAdminServer, startClusterAdminServer } from '../admin/server.js';
import { createLogger } from '../observability/logging/logger.js';
import { subscribeAccessLog } from '../observability/logging/access-log.js';
import { subscribeEventLog } from '../observability/logging/event-log.js';
import { subscribeSecurityEventLog } from '../observability/logging/security-events.js';
import { subscribeSecurityMetrics } from '../observability/metrics/security-metrics.js';
import { subscribeAnomalyMetrics } from '../observability/metrics/anomaly-metrics.js';
import { subscribeRateLimitMetrics } from '../observability/metrics/rate-limit-metrics.js';
import { createMetrics } from '../observability/metrics/metrics.js';
import { LifecycleUsage } from '../observability/lifecycle-usage.js';
import { startInventory } from '../admin/inventory-api.js';
import { startAudit } from '../observability/audit/service.js';
import { registerAuditMetrics } from '../observability/audit/metrics.js';
import { subscribeSecurityBridge } from '../observability/security-bridge.js';
import { startSinks, type SinkService } from '../observability/sinks/service.js';
import { startAlerts, type AlertService } from '../observability/alerts/service.js';
import { startGateway } from '../server/gateway.js';
import { ClusterStoreClient } from '../store/cluster.js';
import { hostClusterStore } from './cluster-store.js';
import { describeLoadError } from './validate.js';
import { packageVersion } from './version.js';
import { credentialFileFailures } from '../stages/authn/providers/credential-file-health.js';

const WORKER_ENV = 'PORTCULLIS_CLUSTER_WORKER';
const PROXY_SECRET_ENV = 'PORTCULLIS_ADMIN_PROXY_SECRET';

/**
 * `portcullis start -c FILE [--workers N]`. With N > 1 the primary forks N workers that
 * share the public port (node:cluster) and serves the admin listener itself, with
 * metrics summed over the workers; admin API and dashboard calls are forwarded to one worker.
 */
export async function startCommand(file: string, workers: number): Promise<number> {
  let loaded: LoadedConfig;
  try {
    loaded = await loadConfig(file);
  } catch (e) {
    process.stderr.write(`${describeLoadError(e)}\n`);
    return 1;
  }
  if (workers > 1 && cluster.isPrimary) return runPrimary(loaded, workers);
  return runGateway(loaded, process.env[WORKER_ENV] === '1');
}

async function runGateway(loaded: LoadedConfig, isWorker: boolean): Promise<number> {
  const logger = createLogger({ level: loaded.config.logging.level });
  if (loaded.config.logging.accessLog) subscribeAccessLog(logger, { redact: loaded.config.logging.redact });
  subscribeEventLog(logger);
  const floods = loaded.config.logging.eventFloods;
  const stopEventLog = subscribeSecurityEventLog(logger, floods.aggregate ? { burst: floods.burst, intervalMs: floods.intervalMs } : { burst: Number.MAX_SAFE_INTEGER });
  const metrics = createMetrics();
  subscribeSecurityMetrics(metrics.registry);
  subscribeRateLimitMetrics(metrics.registry);
  subscribeAnomalyMetrics(metrics.registry);
  subscribeSecurityBridge();
  // Counted whether or not the admin API is on: the metric is how owners find callers of deprecated operations.
  const lifecycleUsage = new LifecycleUsage(metrics.registry);
  lifecycleUsage.subscribe();
  let sinks: SinkService;
  let alerts: AlertService;
  try {
    // Sinks and alerts read the config at start only; a reload does not change them.
    sinks = startSinks(loaded.config.sinks, { baseDir: loaded.baseDir, registry: metrics.registry, logger, version: packageVersion() });
    alerts = startAlerts(loaded.config.alerts, { registry: metrics.registry, logger });
  } catch (e) {
    process.stderr.write(`sinks/alerts: ${e instanceof Error ? e.message : String(e)}\n`);
    return 1;
  }
  let audit;
  try {
    // Before the gateway starts, so no auditable event is published unheard; a trail that cannot open stops the start.
    audit = loaded.config.audit.enabled
      ? await startAudit(loaded.config.audit, loaded.baseDir, logger, { instanceSuffix: isWorker ? `-w${cluster.worker?.id ?? process.pid}` : '' })
      : undefined;
  } catch (e) {
    process.stderr.write(`audit trail: ${e instanceof Error ? e.message : String(e)}\n`);
    return 1;
  }
  const auditWriter = audit?.writer;
  if (auditWriter !== undefined) registerAuditMetrics(metrics.registry, () => auditWriter.stats);
  // Signal handlers go in before anything is announced: until a handler exists, the OS default
  // for SIGHUP is to kill the process, and a supervisor may signal as soon as it sees the log line.
  let reloadOnHup: (() => void) | undefined;
  process.on('SIGHUP', () => reloadOnHup?.());
  let gateway;
  try {
    // Workers share the primary's memory store, so limits hold across them (Redis is shared anyway).
    const store = isWorker && loaded.config.store.backend === 'memory' ? new ClusterStoreClient() : undefined;
    gateway = await startGateway({ configFile: loaded.file, loaded, logger, ...(store !== undefined ? { store } : {}) });
  } catch (e) {
    process.stderr.write(`${describeLoadError(e)}\n`);
    await audit?.close();
    logger.flush?.();
    return 1;
  }
  const inventory = loaded.config.inventory.enabled ? startInventory(gateway.runtime, gateway.store, loaded.config.inventory) : undefined;
  let setup;
  try {
    setup = loaded.config.admin.enabled ? setupAdmin(loaded, gateway, audit, packageVersion(), { proxySecret: process.env[PROXY_SECRET_ENV], lifecycleUsage, ...(inventory === undefined ? {} : { inventory }) }) : undefined;
  } catch (e) {
    // admin.tls files that cannot be read: stop cleanly, as for any other startup problem.
    process.stderr.write(`${describeLoadError(e)}\n`);
    await gateway.shutdown();
    await audit?.close();
    return 1;
  }
  // A worker serves the admin API and dashboard on a loopback port of its own; the primary forwards to it.
  const admin = setup !== undefined && (!isWorker || setup.apiEnabled)
    ? await startAdminServer({
        host: isWorker ? '127.0.0.1' : loaded.config.admin.host,
        port: isWorker ? 0 : loaded.config.admin.port,
        registry: metrics.registry,
        health: () => ({ live: true, ready: gateway.ready(), detail: readyDetail(gateway.runtime().generation) }),
        routes: [internalJwksRoute(), ...setup.routes],
        ...(setup.tls === undefined || isWorker ? {} : { tls: setup.tls }),
      })
    : undefined;
  if (isWorker && admin !== undefined) process.send?.({ portcullis: 'admin', port: admin.port });
  const started = gateway;
  reloadOnHup = () => { void started.reload('SIGHUP'); };
  logger.info({ http: gateway.http?.url, https: gateway.https?.url, ...(gateway.egress !== undefined ? { egress: gateway.egress.url } : {}), [isWorker ? 'workerAdmin' : 'admin']: admin?.url }, 'portcullis listening');
  if (isWorker) process.send?.({ portcullis: 'ready' });

  return new Promise<number>((resolve) => {
    let stopping = false;
    const stop = (signal: string) => {
      if (stopping) return;
      stopping = true;
      logger.info({ signal }, 'shutting down: draining in-flight requests');
      // The last inventory snapshot goes to the store before shutdown closes it.
      void (inventory?.close() ?? Promise.resolve()).then(() => gateway.shutdown()).then(() => admin?.close()).then(() => Promise.all([audit?.close(), sinks.close(), alerts.close()])).then(() => {
        // The summaries of the flood interval still open: without them the last denials would go unlogged.
        stopEventLog();
        logger.info('stopped');
        logger.flush?.();
        resolve(0);
      });
    };
    process.on('SIGTERM', () => stop('SIGTERM'));
    process.on('SIGINT', () => stop('SIGINT'));
  });
}

async function runPrimary(loaded: LoadedConfig, count: number): Promise<number> {
  const logger = createLogger({ level: loaded.config.logging.level });
  let stopping = false;
  const ready = new Set<number>();
  const connectStore = loaded.config.store.backend === 'memory' ? hostClusterStore(loaded.config.store) : undefined;
  const secret = newProxySecret();
  const adminPorts = new Map<number, number>();
  const fork = () => {
    const w = cluster.fork({ [WORKER_ENV]: '1', [PROXY_SECRET_ENV]: secret });
    connectStore?.(w);
    w.on('message', (m: { portcullis?: string; port?: number }) => {
      if (m?.portcullis === 'ready') ready.add(w.id);
      if (m?.portcullis === 'admin' && typeof m.port === 'number') adminPorts.set(w.id, m.port);
    });
    w.on('exit', (code, signal) => {
      ready.delete(w.id);
      adminPorts.delete(w.id);
      if (!stopping) {
        logger.error({ worker: w.id, code, signal }, 'worker exited unexpectedly; starting a new one');
        fork();
      }
    });
  };
  for (let i = 0; i < count; i++) fork();
  const tls = adminTls(loaded);
  const admin = loaded.config.admin.enabled
    ? await startClusterAdminServer({
        host: loaded.config.admin.host,
        port: loaded.config.admin.port,
        health: () => ({ live: true, ready: !stopping && ready.size === count, detail: { workers: ready.size } }),
        // The admin API and dashboard of the worker with the lowest id (its own stats and events; the audit trail is shared).
        fallback: { prefixes: ['/admin', '/dashboard'], handle: forwardToWorker(() => adminPorts.get(Math.min(...adminPorts.keys())), secret) },
        ...(tls === undefined ? {} : { tls }),
      })
    : undefined;
  logger.info({ workers: count, admin: admin?.url }, 'portcullis primary started');
  process.on('SIGHUP', () => { for (const w of Object.values(cluster.workers ?? {})) w?.process.kill('SIGHUP'); });
  return new Promise<number>((resolve) => {
    const stop = () => {
      if (stopping) return;
      stopping = true;
      const workers = Object.values(cluster.workers ?? {}).filter((w) => w !== undefined);
      let left = workers.length;
      const done = () => { if (admin === undefined) resolve(0); else void admin.close().then(() => resolve(0)); };
      if (left === 0) done();
      for (const w of workers) {
        w!.once('exit', () => { left -= 1; if (left === 0) done(); });
        w!.process.kill('SIGTERM');
      }
    };
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
  });
}

/** `/readyz` details: the config generation, and the credential files that fail to reload (old keys still serve). */
function readyDetail(generation: number): Record<string, unknown> {
  const failing = credentialFileFailures();
  return failing.length === 0 ? { generation } : { generation, credentialFiles: failing };
}
