import { unwatchFile, watchFile } from 'node:fs';
import { removeSpoolDirs } from './spool-dir.js';
import type { Logger } from 'pino';
import { loadConfig, type LoadedConfig } from '../config/load.js';
import { publishConfigReload } from '../observability/channels.js';
import type { StageRegistry } from '../pipeline/registry.js';
import { compileRuntime } from '../runtime/compile.js';
import type { KeyValueStore } from '../store/index.js';
import { createStore } from '../store/create.js';
import type { Runtime } from '../runtime/runtime.js';
import { listenEgress, listenHttp, listenHttps, type Listener } from './listeners.js';
import { createEgressConnectHandler, createEgressHandler } from '../egress/index.js';
import { OverloadMonitor } from './overload.js';
import { flushShed, registerInFlight } from '../observability/shed-ledger.js';
import { createRequestHandler } from './request-handler.js';

/** Options for {@link startGateway}. */
export interface GatewayOptions {
  readonly configFile: string;
  readonly logger: Logger;
  readonly env?: NodeJS.ProcessEnv;
  readonly registry?: StageRegistry;
  /** Watch the config and its documents for changes (default: the config's `watch`). */
  readonly watch?: boolean;
  /** An already loaded config (saves loading it twice at start). */
  readonly loaded?: LoadedConfig;
  /** Shared state; default: a bounded memory store from the config. */
  readonly store?: KeyValueStore;
}

/** A running gateway: its listeners and its current runtime. */
export interface Gateway {
  readonly http: Listener | undefined;
  readonly https: Listener | undefined;
  /** The egress listener (`egress:`), applications' outbound proxy. */
  readonly egress: Listener | undefined;
  runtime(): Runtime;
  /** Rebuilds the runtime; on failure the old one keeps serving and false is returned. */
  reload(reason: string): Promise<boolean>;
  /** True until shutdown starts (readiness). */
  ready(): boolean;
  /** The shared store (revocations, nonces, used codes) every runtime of this gateway uses. */
  readonly store: KeyValueStore;
  /** Stops accepting, drains in-flight requests (bounded by shutdownGraceMs), closes upstreams. */
  shutdown(): Promise<void>;
}

/**
 * Loads and compiles the config, binds the public listeners and keeps the runtime
 * current on SIGHUP-driven or file-watch reloads.
 *
 * @example
 * const gw = await startGateway({ configFile: 'portcullis.yaml', logger });
 * process.on('SIGHUP', () => void gw.reload('SIGHUP'));
 */
export async function startGateway(opts: GatewayOptions): Promise<Gateway> {
  const loaded = opts.loaded ?? await loadConfig(opts.configFile, opts.env);
  // One store for the gateway's lifetime: state survives reloads.
  const store = opts.store ?? createStore(loaded.config.store);
  let runtime = await compileRuntime(loaded, opts.registry, store);
  logWarnings(opts.logger, runtime);
  let accepting = true;
  const cfg = loaded.config.server;

  const current = () => runtime;
  const overload = new OverloadMonitor(cfg.overload, (r) => {
    if (r.shedding) opts.logger.warn(r, 'overloaded: shedding new requests with 503 PCL_OVERLOADED');
    else opts.logger.info(r, 'overload over: accepting requests again');
  });
  overload.start();
  const unregisterInFlight = registerInFlight(() => overload.inFlight);
  let httpListener: Listener | undefined;
  let httpsListener: Listener | undefined;
  if (cfg.http) httpListener = await listenHttp(cfg, createRequestHandler(current, { tls: false, overload }));
  if (cfg.tls !== undefined) {
    httpsListener = await listenHttps(cfg, cfg.tls, createRequestHandler(current, { tls: true, overload }),
      (err) => opts.logger.error({ err: err.message }, 'TLS certificate reload failed; the previous certificate stays in use'),
      () => opts.logger.info('TLS certificate reloaded'));
  }

  const egressCfg = loaded.config.egress;
  const egressListener = egressCfg === undefined ? undefined
    : await listenEgress(cfg, egressCfg.host, egressCfg.port, createEgressHandler(() => current().egress), createEgressConnectHandler(() => current().egress));

  let reloading: Promise<boolean> | undefined;
  const reload = async (reason: string): Promise<boolean> => {
    const started = performance.now();
    try {
      const next = await compileRuntime(await loadConfig(opts.configFile, opts.env), opts.registry, store);
      const old = runtime;
      runtime = next;
      warnOnListenerChange(opts.logger, old.loaded, next.loaded);
      logWarnings(opts.logger, next);
      rewatch(next);
      // Requests already running hold `old`; its pools close once they finish.
      void old.close();
      publishConfigReload({ ok: true, reason, durationMs: performance.now() - started });
      return true;
    } catch (err) {
      publishConfigReload({ ok: false, reason, error: (err as Error).message, durationMs: performance.now() - started });
      return false;
    }
  };
  const serialReload = (reason: string): Promise<boolean> => {
    // Reloads never overlap: a change during a reload triggers one more after it.
    const run = (reloading ?? Promise.resolve(true)).then(() => reload(reason));
    reloading = run;
    return run;
  };

  const watching = opts.watch ?? loaded.config.watch;
  const watched = new Set<string>();
  const onChange = (cur: { mtimeMs: number }, prev: { mtimeMs: number }) => {
    if (cur.mtimeMs !== prev.mtimeMs) void serialReload('file change');
  };
  const rewatch = (next: Runtime) => {
    if (!watching) return;
    for (const f of next.watchFiles) if (!watched.has(f)) { watchFile(f, { interval: 300, persistent: false }, onChange); watched.add(f); }
    for (const f of [...watched]) if (!next.watchFiles.includes(f)) { unwatchFile(f, onChange); watched.delete(f); }
  };
  rewatch(runtime);

  return {
    http: httpListener,
    https: httpsListener,
    egress: egressListener,
    runtime: current,
    reload: serialReload,
    store,
    ready: () => accepting,
    shutdown: async () => {
      accepting = false;
      overload.stop();
      for (const f of watched) unwatchFile(f, onChange);
      await Promise.all([httpListener?.close(cfg.shutdownGraceMs), httpsListener?.close(cfg.shutdownGraceMs), egressListener?.close(cfg.shutdownGraceMs)]);
      unregisterInFlight();
      // The last interval's shed requests reach the access log and the event stream before the sinks close.
      flushShed();
      await runtime.close();
      // Requests still in flight after the grace period were cut off: their spooled bodies go with the directory.
      removeSpoolDirs();
      if (opts.store === undefined) await store.close();
    },
  };
}

function logWarnings(logger: Logger, runtime: Runtime): void {
  for (const w of runtime.warnings) logger.warn({ file: w.file, line: w.line, path: w.path }, `config warning: ${w.message}`);
}

function warnOnListenerChange(logger: Logger, old: LoadedConfig, next: LoadedConfig): void {
  if (JSON.stringify(old.config.server) !== JSON.stringify(next.config.server) || JSON.stringify(old.config.admin) !== JSON.stringify(next.config.admin)
    || old.config.egress?.host !== next.config.egress?.host || old.config.egress?.port !== next.config.egress?.port) {
    logger.warn('listener settings (server/admin/egress address) changed: they take effect after a restart; routes, APIs and stages were reloaded');
  }
}
