import autocannon from 'autocannon';
import { percentile, type RunResult } from './report.js';

/** What one load run sends. */
export interface LoadOptions {
  readonly url: string;
  readonly connections: number;
  readonly durationS: number;
  /** Defaults to GET with no body. */
  readonly method?: string;
  /** Headers of every request. */
  readonly headers?: Readonly<Record<string, string>>;
  /** Called before each request for headers that change per request (e.g. distinct tokens). */
  readonly nextHeaders?: () => Record<string, string>;
  readonly body?: string;
  /** Paces the load to this many requests/s over all connections (default: as fast as answered). */
  readonly overallRate?: number;
}

/**
 * Drives `url` with autocannon for `durationS` seconds and returns req/s, latency
 * percentiles and failures. Latencies are collected from every response at full precision
 * (autocannon's own histogram rounds to whole milliseconds, too coarse on loopback).
 *
 * @example
 * const r = await runLoad({ url: 'http://127.0.0.1:8080/v1/items/42', connections: 50, durationS: 10 });
 */
export async function runLoad(opts: LoadOptions): Promise<RunResult> {
  let latencies = new Float64Array(1 << 16);
  let count = 0;
  let okLatencies = new Float64Array(1 << 16);
  let okCount = 0;
  const next = opts.nextHeaders;
  const instance = autocannon({
    url: opts.url, connections: opts.connections, duration: opts.durationS, timeout: 10,
    ...(opts.overallRate === undefined ? {} : { overallRate: opts.overallRate }),
    ...(opts.method === undefined ? {} : { method: opts.method }),
    ...(opts.headers === undefined ? {} : { headers: { ...opts.headers } }),
    ...(opts.body === undefined ? {} : { body: opts.body }),
    ...(next === undefined ? {} : { requests: [{ setupRequest: (req) => ({ ...req, headers: { ...req.headers, ...next() } }) }] }),
  });
  instance.on('response', (_client: unknown, status: number, _bytes: number, responseTimeMs: number) => {
    if (count === latencies.length) latencies = grow(latencies);
    latencies[count++] = responseTimeMs;
    if (status >= 200 && status < 300) {
      if (okCount === okLatencies.length) okLatencies = grow(okLatencies);
      okLatencies[okCount++] = responseTimeMs;
    }
  });
  const result = await instance;
  const sorted = latencies.subarray(0, count).sort();
  const seconds = result.duration > 0 ? result.duration : opts.durationS;
  return {
    // Completed responses over the measured time: the same count the latencies come from.
    rps: count / seconds,
    p50Ms: percentile(sorted, 50),
    p99Ms: percentile(sorted, 99),
    non2xx: result.non2xx,
    responses: count,
    errors: result.errors + result.timeouts,
    okRps: okCount / seconds,
    okP99Ms: percentile(okLatencies.subarray(0, okCount).sort(), 99),
  };
}

function grow(a: Float64Array<ArrayBuffer>): Float64Array<ArrayBuffer> {
  const grown = new Float64Array(a.length * 2);
  grown.set(a);
  return grown;
}
