import { publishSecurityEvent, publishShedBatch } from './channels.js';

/** Methods counted by name; the rest fold into OTHER (a label value is never client-chosen). */
export const SHED_METHODS: readonly string[] = Object.freeze(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'TRACE', 'CONNECT', 'OTHER']);
const METHOD_INDEX = new Map(SHED_METHODS.map((m, i) => [m, i]));
const OTHER = SHED_METHODS.length - 1;

/** Length of one interval of the aggregated access-log line and security events. */
export const SHED_INTERVAL_MS = 1_000;
/** Clients named per interval; beyond, their requests are counted under "*" (a flood from many addresses stays one bounded record). */
export const SHED_MAX_CLIENTS = 256;

/**
 * The records of requests shed by overload protection (ADR 0032). A shed request is counted
 * here, not published one by one: per request it costs an array increment and a Map update.
 * - `totals` only grow (metrics read them at scrape time: exact whenever read);
 * - each interval with sheds ends in one `portcullis:overload:shed` batch (the access log's line)
 *   and one `overload.shed` security event per client, with exact counts.
 */
class ShedLedger {
  /** Shed requests since the start, by method index (SHED_METHODS). */
  readonly totals = new Float64Array(SHED_METHODS.length);
  #byMethod = new Float64Array(SHED_METHODS.length);
  #byClient = new Map<string, number>();
  #count = 0;
  #fromMs = 0;
  #timer: NodeJS.Timeout | undefined;

  note(method: string, client: string): void {
    const i = METHOD_INDEX.get(method) ?? OTHER;
    this.totals[i]! += 1;
    this.#byMethod[i]! += 1;
    if (this.#count++ === 0) {
      this.#fromMs = Date.now();
      // Armed only while there is something to publish: an idle gateway has no timer.
      this.#timer = setTimeout(() => this.flush(), SHED_INTERVAL_MS);
      this.#timer.unref();
    }
    const key = this.#byClient.has(client) || this.#byClient.size < SHED_MAX_CLIENTS ? client : '*';
    this.#byClient.set(key, (this.#byClient.get(key) ?? 0) + 1);
  }

  flush(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#count === 0) return;
    const byMethod: Record<string, number> = {};
    this.#byMethod.forEach((n, i) => { if (n > 0) byMethod[SHED_METHODS[i]!] = n; });
    const batch = { fromMs: this.#fromMs, toMs: Date.now(), count: this.#count, byMethod, byClient: this.#byClient };
    this.#byMethod = new Float64Array(SHED_METHODS.length);
    this.#byClient = new Map();
    this.#count = 0;
    publishShedBatch(batch);
    for (const [client, n] of batch.byClient) {
      publishSecurityEvent(() => ({
        kind: 'overload.shed', reason: 'overloaded', requestId: '', api: '', operationId: undefined, client,
        severity: 'low', stage: 'overload', enforced: true, status: 503, code: 'PCL_OVERLOADED', count: n,
      }));
    }
  }
}

const ledger = new ShedLedger();

/**
 * Records one request shed with 503 PCL_OVERLOADED.
 *
 * @example
 * noteShed(req.method ?? 'GET', clientIp);
 */
export function noteShed(method: string, client: string): void {
  ledger.note(method, client);
}

/**
 * Requests shed since the process started, by method (indexes of {@link SHED_METHODS}); only grow.
 *
 * @example
 * const getShed = shedTotals()[0];
 */
export function shedTotals(): Readonly<Float64Array> {
  return ledger.totals;
}

/**
 * Publishes the current interval's records now (shutdown, tests) instead of at its end.
 *
 * @example
 * await gateway.shutdown(); flushShed();
 */
export function flushShed(): void {
  ledger.flush();
}

const inFlightSources = new Set<() => number>();

/**
 * Registers a reader of the requests a listener holds (the `requests_in_flight` gauge sums
 * them at scrape time); returns the unregister.
 *
 * @example
 * const stop = registerInFlight(() => overload.inFlight);
 */
export function registerInFlight(read: () => number): () => void {
  inFlightSources.add(read);
  return () => { inFlightSources.delete(read); };
}

/**
 * Requests in flight over every registered source.
 *
 * @example
 * gauge.set(inFlightNow());
 */
export function inFlightNow(): number {
  let n = 0;
  for (const read of inFlightSources) n += read();
  return n;
}
