import { performance } from 'node:perf_hooks';
import { Pool } from 'undici';
import { percentile } from './report.js';

/** What one open-loop run sends. */
export interface OpenLoopOptions {
  readonly url: string;
  /** Arrivals per second, on a fixed schedule whatever the answers do. */
  readonly rate: number;
  readonly durationS: number;
  /**
   * Most connections open at once. Large (thousands), so that the backlog of an overloaded
   * target forms in the target, where its overload manager can see it, not in this pool.
   */
  readonly connections: number;
  /** Called before each request for headers that change per request (e.g. distinct tokens). */
  readonly nextHeaders?: () => Record<string, string>;
  /** A request not answered within this long counts as a timeout (default 10 s). */
  readonly timeoutMs?: number;
}

/** One open-loop run. Latencies run from each request's *intended* send time (no coordinated omission). */
export interface OpenLoopResult {
  readonly offeredRps: number;
  /** 2xx and 503 responses per second completed inside the send window. */
  readonly okRps: number;
  readonly shedRps: number;
  readonly ok: number;
  readonly shed: number;
  /** Other statuses. */
  readonly other: number;
  /** Socket errors and timeouts: no answer at all. */
  readonly errors: number;
  readonly okP50Ms: number;
  readonly okP99Ms: number;
  readonly shedP99Ms: number;
  /** How late this generator sent, p99 (ms): above a few ms the generator, not the target, was the limit. */
  readonly sendLagP99Ms: number;
  /** Most requests outstanding at once (sent, not yet answered). */
  readonly maxOutstanding: number;
}

/**
 * Drives `url` open-loop, as wrk2 does: request i is due at start + i / rate and is sent then
 * (or as soon as this process can), whether or not earlier ones were answered; its latency is
 * measured from when it was due. A closed pool (autocannon's connections) waits for answers
 * before sending more, so an overloaded target sees at most `connections` requests and the rest
 * queue unseen in the generator; here every arrival reaches the target.
 *
 * @example
 * const r = await runOpenLoop({ url: 'http://127.0.0.1:8080/v1/items/42', rate: 6000, durationS: 10, connections: 4000 });
 */
export async function runOpenLoop(opts: OpenLoopOptions): Promise<OpenLoopResult> {
  const target = new URL(opts.url);
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const pool = new Pool(target.origin, { connections: opts.connections, pipelining: 1, headersTimeout: timeoutMs, bodyTimeout: timeoutMs, keepAliveTimeout: 30_000 });
  const path = `${target.pathname}${target.search}`;
  const total = Math.floor(opts.rate * opts.durationS);
  const ok = new Float64Array(total);
  const shed = new Float64Array(total);
  const lag = new Float64Array(total);
  let okN = 0, shedN = 0, other = 0, errors = 0, okInWindow = 0, shedInWindow = 0, outstanding = 0, maxOutstanding = 0;
  const start = performance.now() + 20;
  const end = start + opts.durationS * 1000;
  const sends: Promise<void>[] = [];

  const send = async (due: number): Promise<void> => {
    outstanding++;
    if (outstanding > maxOutstanding) maxOutstanding = outstanding;
    try {
      const res = await pool.request({ path, method: 'GET', headers: opts.nextHeaders?.() ?? {}, signal: AbortSignal.timeout(timeoutMs) });
      await res.body.dump({ limit: 1 << 20 });
      const done = performance.now();
      if (res.statusCode >= 200 && res.statusCode < 300) {
        ok[okN++] = done - due;
        if (done <= end) okInWindow++;
      } else if (res.statusCode === 503) {
        shed[shedN++] = done - due;
        if (done <= end) shedInWindow++;
      } else {
        other++;
      }
    } catch {
      errors++;
    } finally {
      outstanding--;
    }
  };

  let i = 0;
  await new Promise<void>((resolve) => {
    const tick = (): void => {
      const now = performance.now();
      // Everything due by now goes out in this turn; the lag says how far behind the schedule it was.
      while (i < total && start + (i * 1000) / opts.rate <= now) {
        const due = start + (i * 1000) / opts.rate;
        lag[i++] = now - due;
        sends.push(send(due));
      }
      if (i < total) setTimeout(tick, 1);
      else resolve();
    };
    setTimeout(tick, 20);
  });
  await Promise.all(sends);
  await pool.destroy();
  const sorted = (a: Float64Array, n: number) => a.subarray(0, n).sort();
  return {
    offeredRps: opts.rate,
    okRps: okInWindow / opts.durationS,
    shedRps: shedInWindow / opts.durationS,
    ok: okN,
    shed: shedN,
    other,
    errors,
    okP50Ms: percentile(sorted(ok, okN), 50),
    okP99Ms: percentile(sorted(ok, okN), 99),
    shedP99Ms: percentile(sorted(shed, shedN), 99),
    sendLagP99Ms: percentile(sorted(lag, i), 99),
    maxOutstanding,
  };
}

/**
 * Closed-loop capacity with the same client as `runOpenLoop`: `connections` workers each send
 * the next request as soon as the last is answered, for `durationS`; 2xx per second. The
 * autocannon probe read a third of what the same gateway then served open-loop on a loaded
 * machine (cause not isolated), so its "3x" was not; the same client on both sides compares.
 *
 * @example
 * const cap = await closedLoopCapacity({ url, connections: 50, durationS: 5 });
 */
export async function closedLoopCapacity(opts: { readonly url: string; readonly connections: number; readonly durationS: number; readonly nextHeaders?: () => Record<string, string> }): Promise<number> {
  const target = new URL(opts.url);
  const pool = new Pool(target.origin, { connections: opts.connections, pipelining: 1 });
  const path = `${target.pathname}${target.search}`;
  const end = performance.now() + opts.durationS * 1000;
  let ok = 0;
  const worker = async (): Promise<void> => {
    while (performance.now() < end) {
      const res = await pool.request({ path, method: 'GET', headers: opts.nextHeaders?.() ?? {} });
      await res.body.dump({ limit: 1 << 20 });
      if (res.statusCode >= 200 && res.statusCode < 300) ok++;
    }
  };
  await Promise.all(Array.from({ length: opts.connections }, worker));
  await pool.destroy();
  return ok / opts.durationS;
}
