import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import { getHeapStatistics } from 'node:v8';
import type { OverloadConfig } from '../config/schema.js';

/** What one check read, and whether the process sheds new requests until the next check. */
export interface OverloadReading {
  readonly shedding: boolean;
  /** Mean event-loop delay over the last interval, ms (the sampling resolution subtracted). */
  readonly eventLoopDelayMs: number;
  /** Used V8 heap over the heap limit. */
  readonly heapUsedRatio: number;
}

/** Resolution of the event-loop delay histogram (ms): fine enough for thresholds of tens of ms. */
const RESOLUTION_MS = 10;

/**
 * The process's overload state, after Envoy's overload manager: resource monitors (event-loop
 * delay, heap) read on a timer, and one action (shed new requests) while any is past its
 * threshold; plus a limit on requests in flight, decided per request (ADR 0028). The request
 * path pays a counter and two comparisons.
 *
 * @example
 * const overload = new OverloadMonitor(config.server.overload, (r) => logger.warn(r, 'overload'));
 * overload.start();
 * if (overload.enter()) return shed(req, res); // not counted
 * res.once('close', () => overload.leave());
 */
export class OverloadMonitor {
  /** True while the timed monitors shed every new public request. */
  shedding = false;
  /** Public requests admitted and not yet left (their response finished or the connection closed). */
  inFlight = 0;
  /** The Retry-After header a shed request carries (built once). */
  readonly retryAfter: Readonly<Record<string, string>>;
  readonly #cfg: OverloadConfig;
  readonly #onChange: (reading: OverloadReading) => void;
  /** Requests beyond this many in flight are shed; Infinity when unlimited or disabled. */
  readonly #maxInFlight: number;
  #histogram: IntervalHistogram | undefined;
  #timer: NodeJS.Timeout | undefined;

  constructor(cfg: OverloadConfig, onChange: (reading: OverloadReading) => void = () => {}) {
    this.#cfg = cfg;
    this.#onChange = onChange;
    this.retryAfter = Object.freeze({ 'retry-after': String(cfg.retryAfterSeconds) });
    this.#maxInFlight = cfg.enabled && cfg.maxInFlight > 0 ? cfg.maxInFlight : Infinity;
  }

  /**
   * Says whether a new public request must be shed (the timed monitors are past a threshold, or
   * `maxInFlight` are held already); if not, counts it in flight, and it needs one `leave`. A shed
   * request is never counted: its 503 is written in the same call (ADR 0032).
   */
  enter(): boolean {
    if (this.shedding || this.inFlight >= this.#maxInFlight) return true;
    this.inFlight++;
    return false;
  }

  /** An admitted request's response finished or its connection closed. */
  leave(): void {
    this.inFlight--;
  }

  /** Starts the monitors (no-op when disabled). The timer never keeps the process alive. */
  start(): void {
    if (!this.#cfg.enabled || this.#timer !== undefined) return;
    this.#histogram = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
    this.#histogram.enable();
    this.#timer = setInterval(() => this.check(), this.#cfg.checkIntervalMs);
    this.#timer.unref();
  }

  /** Reads the monitors once and updates `shedding`; returns the reading. */
  check(): OverloadReading {
    const h = this.#histogram;
    // A window with no sample (the loop was blocked the whole time) reads NaN: count it as its own length.
    const mean = h === undefined ? 0 : h.count === 0 ? this.#cfg.checkIntervalMs : h.mean / 1e6;
    h?.reset();
    const eventLoopDelayMs = Math.max(0, mean - RESOLUTION_MS);
    const heap = getHeapStatistics();
    const heapUsedRatio = heap.used_heap_size / heap.heap_size_limit;
    const shedding = eventLoopDelayMs > this.#cfg.eventLoopDelayMs || heapUsedRatio > this.#cfg.heapUsedRatio;
    const reading = { shedding, eventLoopDelayMs, heapUsedRatio };
    if (shedding !== this.shedding) {
      this.shedding = shedding;
      this.#onChange(reading);
    }
    return reading;
  }

  /** Stops the monitors; nothing is shed afterwards. */
  stop(): void {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#histogram?.disable();
    this.#timer = undefined;
    this.#histogram = undefined;
    this.shedding = false;
  }
}
