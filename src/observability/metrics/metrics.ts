import cluster from 'node:cluster';
import diagnostics_channel from 'node:diagnostics_channel';
import { AggregatorRegistry, Counter, Gauge, collectDefaultMetrics, register, type Registry } from 'prom-client';
import {
  CHANNELS,
  type CircuitStateMessage,
  type ClientErrorMessage,
  type ConfigReloadMessage,
  type RequestEndMessage,
  type StageDecisionMessage,
  type StageErrorMessage,
  type UpstreamErrorMessage,
} from '../channels.js';
import { KeyedCounter, KeyedHistogram } from './keyed.js';
import { SHED_METHODS, inFlightNow, shedTotals } from '../shed-ledger.js';

/** Options of {@link createMetrics}. */
export interface MetricsOptions {
  /**
   * Registry to register on. Defaults to prom-client's global `register`, which is
   * the one a cluster worker reports to the primary's `AggregatorRegistry`.
   */
  registry?: Registry;
  /** Prefix of the gateway's own metric names. Default `portcullis_`. */
  prefix?: string;
  /** Also collect Node's process metrics (`process_*`, `nodejs_*`, unprefixed). Default true. */
  defaultMetrics?: boolean;
}

/** What {@link createMetrics} returns. */
export interface Metrics {
  readonly registry: Registry;
  /** Stops counting and removes every metric this call registered. */
  unsubscribe(): void;
}

/** Histogram buckets for a proxy: from half a millisecond of gateway work to a 10 s upstream. */
export const LATENCY_BUCKETS: readonly number[] = Object.freeze([0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]);

/** Numeric value of `circuit_state` per breaker state. */
export const CIRCUIT_STATE_VALUE = Object.freeze({ closed: 0, 'half-open': 1, open: 2 } as const);

// Methods outside this set fold into OTHER so a label value is never client-chosen (the shed ledger counts by the same set).
const METHODS: ReadonlySet<string> = new Set(SHED_METHODS);

/**
 * Creates the gateway's Prometheus metrics and subscribes them to the diagnostics channels.
 *
 * | metric | type | labels |
 * |---|---|---|
 * | `requests_total` | counter | api, operation, method, status, decision |
 * | `request_duration_seconds` | histogram | api, operation |
 * | `upstream_duration_seconds` | histogram (time to the upstream's response head) | api |
 * | `rejections_total` | counter | stage, code |
 * | `monitored_total` | counter (monitor-mode decisions that did not block) | stage, code |
 * | `upstream_errors_total` | counter | api, code |
 * | `circuit_state` | gauge: 0 closed, 1 half-open, 2 open (max over cluster workers) | api |
 * | `config_reloads_total` | counter | result = success / failure |
 * | `client_errors_total` | counter (parser errors: 400 / 408 / 431 before routing) | code |
 * | `stage_errors_total` | counter (stage threw; the request failed closed) | stage |
 * | `requests_in_flight` | gauge: public requests admitted, response not finished (summed over cluster workers) | – |
 *
 * Requests shed by overload protection (503 PCL_OVERLOADED, ADR 0032) are in `requests_total`
 * (api="(none)", operation="(unmatched)", status="503", decision="refused") and `rejections_total`
 * (stage="overload"), read from the shed ledger at scrape time; they are not observed in
 * `request_duration_seconds` (a refusal's microseconds would pull its quantiles down exactly when
 * served requests slow).
 *
 * Cardinality is bounded: label values come only from config-defined names (api,
 * operationId, stage), stable codes, status codes and a fixed method set, never from
 * paths or clients. Unrouted requests carry api="(none)" and operation="(unmatched)".
 *
 * Rejections are counted once, from the request-end message (decision `rejected`, with
 * `stage`, or `gateway` for the gateway's own 404 / 405 / 413 / …), never from stage
 * decisions: a stage rejection and the request that ended with it are the same event.
 *
 * In a cluster, create the metrics in each worker on the default registry (the default):
 * the primary's `AggregatorRegistry.clusterMetrics()` sums them.
 *
 * @example
 * const metrics = createMetrics();
 * await startAdminServer({ host: '127.0.0.1', port: 9901, registry: metrics.registry, health });
 *
 * @example
 * // In tests: an isolated registry.
 * const { registry, unsubscribe } = createMetrics({ registry: new Registry(), defaultMetrics: false });
 */
export function createMetrics(opts: MetricsOptions = {}): Metrics {
  const registry = opts.registry ?? register;
  const p = opts.prefix ?? 'portcullis_';
  const registers = [registry];
  const before = new Set(registry.getMetricsAsArray().map((m) => m.name));

  // Shed requests (ADR 0032) are not published one by one: their counts are read from the shed
  // ledger whenever either counter is read, so both are exact at every scrape.
  // Counted from this call on, like every other counter here.
  const seenShed = Float64Array.from(shedTotals());
  const pullShed = (): void => {
    const totals = shedTotals();
    for (let i = 0; i < totals.length; i++) {
      const n = totals[i]! - seenShed[i]!;
      if (n === 0) continue;
      seenShed[i] = totals[i]!;
      const method = SHED_METHODS[i]!;
      requests.incKeyed(`(none)\u0000(unmatched)\u0000${method}\u0000503\u0000refused`, () => ({ api: '(none)', operation: '(unmatched)', method, status: '503', decision: 'refused' }), n);
      rejections.inc({ stage: 'overload', code: 'PCL_OVERLOADED' }, n);
    }
  };
  const requests = new KeyedCounter({ name: `${p}requests_total`, help: 'Finished requests.', labelNames: ['api', 'operation', 'method', 'status', 'decision'], registers, collect: pullShed });
  const duration = new KeyedHistogram({ name: `${p}request_duration_seconds`, help: 'Time from arrival to the end of the response.', labelNames: ['api', 'operation'], buckets: [...LATENCY_BUCKETS], registers });
  const upstream = new KeyedHistogram({ name: `${p}upstream_duration_seconds`, help: "Time waiting for the upstream's response head.", labelNames: ['api'], buckets: [...LATENCY_BUCKETS], registers });
  const rejections = new Counter({ name: `${p}rejections_total`, help: 'Requests rejected, by the stage (or "gateway") and code.', labelNames: ['stage', 'code'], registers, collect: pullShed });
  new Gauge({ name: `${p}requests_in_flight`, help: 'Public requests admitted and not yet finished (shed requests are never counted).', registers, collect() { this.set(inFlightNow()); } });
  const monitored = new Counter({ name: `${p}monitored_total`, help: 'Monitor-mode decisions that would have rejected a request.', labelNames: ['stage', 'code'], registers });
  const upstreamErrors = new Counter({ name: `${p}upstream_errors_total`, help: 'Failed upstream calls.', labelNames: ['api', 'code'], registers });
  const circuit = new Gauge({ name: `${p}circuit_state`, help: 'Upstream circuit breaker state: 0 closed, 1 half-open, 2 open.', labelNames: ['api'], registers, aggregator: 'max' });
  const reloads = new Counter({ name: `${p}config_reloads_total`, help: 'Configuration reloads.', labelNames: ['result'], registers });
  const clientErrors = new Counter({ name: `${p}client_errors_total`, help: 'Requests refused by the HTTP parser before routing.', labelNames: ['code'], registers });
  const stageErrors = new Counter({ name: `${p}stage_errors_total`, help: 'Stages that threw (the request failed closed).', labelNames: ['stage'], registers });
  // Present from the first scrape, so rate() and absence alerts work before the first reload.
  reloads.inc({ result: 'success' }, 0);
  reloads.inc({ result: 'failure' }, 0);

  if (opts.defaultMetrics ?? true) collectDefaultMetrics({ register: registry });
  const ours = registry.getMetricsAsArray().map((m) => m.name).filter((n) => !before.has(n));

  if (cluster.isWorker) {
    // Constructing one installs the worker's listener that answers the primary's requests.
    new AggregatorRegistry();
    if (registry !== register) AggregatorRegistry.setRegistries([registry]);
  }

  const handlers: [string, (m: unknown) => void][] = [
    [CHANNELS.requestEnd, (msg) => {
      const m = msg as RequestEndMessage;
      const method = METHODS.has(m.method) ? m.method : 'OTHER';
      // Keys joined with a byte no api, operation, method or decision name contains.
      const route = `${m.api}\u0000${m.operationId}`;
      requests.incKeyed(`${route}\u0000${method}\u0000${m.status}\u0000${m.decision}`, () => ({ api: m.api, operation: m.operationId, method, status: String(m.status), decision: m.decision }));
      duration.observeKeyed(route, () => ({ api: m.api, operation: m.operationId }), m.durationS);
      if (m.upstreamS !== undefined) upstream.observeKeyed(m.api, () => ({ api: m.api }), m.upstreamS);
      if (m.decision === 'rejected' || m.decision === 'refused') rejections.inc({ stage: m.stage ?? 'gateway', code: m.code ?? '(none)' });
    }],
    [CHANNELS.stageDecision, (msg) => {
      const m = msg as StageDecisionMessage;
      if (!m.enforced) monitored.inc({ stage: m.stage, code: m.code });
    }],
    [CHANNELS.upstreamError, (msg) => {
      const m = msg as UpstreamErrorMessage;
      upstreamErrors.inc({ api: m.api, code: m.code });
    }],
    [CHANNELS.circuitState, (msg) => {
      const m = msg as CircuitStateMessage;
      circuit.set({ api: m.api }, CIRCUIT_STATE_VALUE[m.state]);
    }],
    [CHANNELS.configReload, (msg) => {
      reloads.inc({ result: (msg as ConfigReloadMessage).ok ? 'success' : 'failure' });
    }],
    [CHANNELS.clientError, (msg) => {
      clientErrors.inc({ code: (msg as ClientErrorMessage).code });
    }],
    [CHANNELS.stageError, (msg) => {
      stageErrors.inc({ stage: (msg as StageErrorMessage).stage });
    }],
  ];
  // A throwing subscriber would surface as an uncaught exception: never let one escape.
  const safe = handlers.map(([name, fn]) => [name, (m: unknown) => { try { fn(m); } catch { /* never break the publisher */ } }] as const);
  for (const [name, fn] of safe) diagnostics_channel.subscribe(name, fn);

  return {
    registry,
    unsubscribe() {
      for (const [name, fn] of safe) diagnostics_channel.unsubscribe(name, fn);
      for (const name of ours) registry.removeSingleMetric(name);
    },
  };
}
