import type { LookupFunction } from 'node:net';
import type { ConnectionOptions } from 'node:tls';
import { Agent, Pool } from 'undici';
import { GatewayError } from '../errors/index.js';
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
  /** Calls that may wait for a connection when all are busy; beyond it, 503 at once. */
  readonly maxQueued: number;
  /** Longest wait for a connection before 503. */
  readonly queueTimeoutMs: number;
  readonly retries: number;
  readonly breaker: { readonly enabled: boolean; readonly failureThreshold: number; readonly cooldownMs: number };
  /** The host comes from each request (`upstreamHost`): an Agent keeps one pool per origin, and calls name their origin. */
  readonly dynamicHost?: boolean;
}

/** A call that waits for one of the pool's connections (see {@link Upstream.admit}). */
export interface QueuedCall {
  /** Dispatches the call: a connection slot is now held until {@link Upstream.release}. */
  send(): void;
  /** The call was not admitted (queue full, or waited too long). */
  refuse(err: GatewayError): void;
}

interface Waiting { readonly call: QueuedCall; readonly timer: NodeJS.Timeout }

/** 503 PCL_UPSTREAM_OVERLOADED, with the Retry-After errors.md promises. */
export function overloaded(): GatewayError {
  return new GatewayError('PCL_UPSTREAM_OVERLOADED', { detail: 'The upstream service is at capacity; retry shortly.', headers: { 'retry-after': '1' } });
}

/**
 * One upstream: an undici Pool with keep-alive, its timeouts and its circuit breaker.
 * A runtime owns its upstreams; a reload builds new ones and closes the old after drain.
 *
 * @example
 * const up = new Upstream({ apiName: 'books', url: new URL('http://127.0.0.1:3000'), ... });
 * up.admit({ send: () => up.pool.dispatch(opts, handler), refuse: (err) => answer(err) });
 *
 * The Pool's own queue is unbounded, so admission is counted here: at most maxConnections
 * calls are dispatched at once, at most maxQueued wait (each at most queueTimeoutMs), and
 * anything beyond is refused with 503 PCL_UPSTREAM_OVERLOADED instead of waiting forever.
 */
export class Upstream {
  readonly options: UpstreamOptions;
  readonly pool: Pool | Agent;
  readonly breaker: CircuitBreaker | undefined;
  /** Path prefix of the upstream URL, prepended to forwarded paths ('' for none). */
  readonly basePath: string;
  readonly host: string;
  #active = 0;
  readonly #queue: Waiting[] = [];

  constructor(options: UpstreamOptions) {
    this.options = options;
    const settings = {
      connections: options.maxConnections,
      connect: { timeout: options.connectTimeoutMs, ...options.tls, ...(options.lookup !== undefined ? { lookup: options.lookup } : {}) },
      headersTimeout: options.headersTimeoutMs,
      bodyTimeout: options.bodyTimeoutMs,
      keepAliveTimeout: 4_000,
      pipelining: 1,
    };
    // maxConnections then bounds each origin's pool; admission (below) still bounds the API's calls.
    this.pool = options.dynamicHost === true ? new Agent(settings) : new Pool(options.url.origin, settings);
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

  /** Calls holding a connection slot, and calls waiting for one. */
  load(): { active: number; queued: number } {
    return { active: this.#active, queued: this.#queue.length };
  }

  /** Sends `call` now if a connection slot is free, queues it (bounded in length and time), or refuses it. */
  admit(call: QueuedCall): void {
    if (this.#active < this.options.maxConnections) {
      this.#active += 1;
      call.send();
      return;
    }
    if (this.#queue.length >= this.options.maxQueued) {
      call.refuse(overloaded());
      return;
    }
    const waiting: Waiting = {
      call,
      timer: setTimeout(() => {
        const i = this.#queue.indexOf(waiting);
        if (i >= 0) this.#queue.splice(i, 1);
        call.refuse(overloaded());
      }, this.options.queueTimeoutMs),
    };
    this.#queue.push(waiting);
  }

  /** A sent call is over (completed or failed): its slot goes to the longest-waiting call. */
  release(): void {
    this.#active -= 1;
    while (this.#active < this.options.maxConnections) {
      const next = this.#queue.shift();
      if (next === undefined) return;
      clearTimeout(next.timer);
      this.#active += 1;
      next.call.send();
    }
  }

  /** Withdraws a call still waiting (its client went away); false when it is not queued. */
  withdraw(call: QueuedCall): boolean {
    const i = this.#queue.findIndex((w) => w.call === call);
    if (i < 0) return false;
    clearTimeout(this.#queue[i]!.timer);
    this.#queue.splice(i, 1);
    return true;
  }

  /** Waits for in-flight requests, then closes the connections. */
  async close(): Promise<void> {
    await this.pool.close();
  }
}
