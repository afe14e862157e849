import type { LookupFunction } from 'node:net';
import type { ConnectionOptions } from 'node:tls';
import { Pool, type Dispatcher } from 'undici';
import { CircuitBreaker } from './circuit-breaker.js';
import { publishCircuitState } from '../observability/channels.js';

/** Compiled settings of one upstream. */
export interface UpstreamOptions {
  readonly apiName: string;
  readonly url: URL;
  readonly connectTimeoutMs: number;
  readonly headersTimeoutMs: number;
  readonly bodyTimeoutMs: number;
  readonly maxConnections: number;
  /** TLS options for an https upstream (CA, pins, client certificate); undefined: Node's defaults. */
  readonly tls?: ConnectionOptions;
  /** Resolves the upstream's name and refuses forbidden addresses (addressGuard). */
  readonly lookup?: LookupFunction;
  readonly retries: number;
  readonly breaker: { readonly enabled: boolean; readonly failureThreshold: number; readonly cooldownMs: number };
}

/**
 * One upstream: an undici Pool with keep-alive, its timeouts and its circuit breaker.
 * A runtime owns its upstreams; a reload builds new ones and closes the old after drain.
 *
 * @example
 * const up = new Upstream({ apiName: 'books', url: new URL('http://127.0.0.1:3000'), ... });
 * up.pool.dispatch({ path: '/', method: 'GET', headers: {} }, handler);
 */
export class Upstream {
  readonly options: UpstreamOptions;
  readonly pool: Pool;
  readonly breaker: CircuitBreaker | undefined;
  /** Path prefix of the upstream URL, prepended to forwarded paths ('' for none). */
  readonly basePath: string;
  readonly host: string;

  constructor(options: UpstreamOptions) {
    this.options = options;
    this.pool = new Pool(options.url.origin, {
      connections: options.maxConnections,
      connect: { timeout: options.connectTimeoutMs, ...options.tls, ...(options.lookup !== undefined ? { lookup: options.lookup } : {}) },
      headersTimeout: options.headersTimeoutMs,
      bodyTimeout: options.bodyTimeoutMs,
      keepAliveTimeout: 4_000,
      pipelining: 1,
    });
    const path = options.url.pathname.replace(/\/+$/, '');
    this.basePath = path;
    this.host = options.url.host;
    this.breaker = options.breaker.enabled
      ? new CircuitBreaker({
          failureThreshold: options.breaker.failureThreshold,
          cooldownMs: options.breaker.cooldownMs,
          onStateChange: (state) => publishCircuitState({ api: options.apiName, state }),
        })
      : undefined;
  }

  dispatch(opts: Dispatcher.DispatchOptions, handler: Dispatcher.DispatchHandler): void {
    this.pool.dispatch(opts, handler);
  }

  /** Waits for in-flight requests, then closes the connections. */
  async close(): Promise<void> {
    await this.pool.close();
  }
}
