import diagnostics_channel from 'node:diagnostics_channel';
import { Counter, register, type Registry } from 'prom-client';
import { SpaceSaving, type TopKEntry } from '../admin/top-k.js';
import { CHANNELS, type LifecycleUseMessage } from './channels.js';

/** Who still calls one deprecated operation. */
export interface DeprecatedOperationUsage {
  readonly api: string;
  readonly operation: string;
  readonly state: LifecycleUseMessage['state'];
  readonly calls: number;
  readonly lastSeen: string;
  /** The heaviest callers (principal id, else client address); counts may overestimate by `error`. */
  readonly clients: readonly TopKEntry[];
}

interface Entry { api: string; operation: string; state: LifecycleUseMessage['state']; calls: number; lastSeen: number; clients: SpaceSaving }

/** At most this many (api, operation) entries and this many client label values: bounded whatever clients send. */
const MAX_OPERATIONS = 1_000;
const MAX_CLIENT_LABELS = 200;
const CLIENTS_PER_OPERATION = 50;

/**
 * Records calls to deprecated, sunset and retired operations (the lifecycle stage publishes
 * them): a Prometheus counter `portcullis_deprecated_calls_total{api,operation,state,client}`
 * whose client label holds the first 200 distinct callers and `other` after that, and per
 * operation the top callers in bounded memory for `GET /admin/deprecations`, so owners know
 * whom to tell before a sunset.
 *
 * @example
 * const usage = new LifecycleUsage(); const stop = usage.subscribe();
 * usage.snapshot(); // [{ api: 'books', operation: 'listBooksV1', calls: 3, clients: [...] }]
 */
export class LifecycleUsage {
  readonly #entries = new Map<string, Entry>();
  readonly #labelled = new Set<string>();
  readonly #counter: Counter<'api' | 'operation' | 'state' | 'client'>;

  constructor(registry: Registry = register, prefix = 'portcullis_') {
    const name = `${prefix}deprecated_calls_total`;
    const existing = registry.getSingleMetric(name) as Counter<'api' | 'operation' | 'state' | 'client'> | undefined;
    this.#counter = existing ?? new Counter({
      name, help: 'Calls to deprecated, sunset or retired operations, by caller (the first 200 callers by name, then "other").',
      labelNames: ['api', 'operation', 'state', 'client'], registers: [registry],
    });
  }

  record(m: LifecycleUseMessage): void {
    const operation = m.operationId ?? '(api)';
    let client = m.client;
    if (!this.#labelled.has(client)) {
      if (this.#labelled.size < MAX_CLIENT_LABELS) this.#labelled.add(client);
      else client = 'other';
    }
    this.#counter.inc({ api: m.api, operation, state: m.state, client });
    const key = `${m.api}\u0000${operation}`;
    let e = this.#entries.get(key);
    if (e === undefined) {
      if (this.#entries.size >= MAX_OPERATIONS) return;
      e = { api: m.api, operation, state: m.state, calls: 0, lastSeen: 0, clients: new SpaceSaving(CLIENTS_PER_OPERATION) };
      this.#entries.set(key, e);
    }
    e.calls += 1;
    e.state = m.state;
    e.lastSeen = Date.now();
    e.clients.add(m.client);
  }

  /** Every recorded operation, most called first, with its top `clients` callers. */
  snapshot(clients = 20): DeprecatedOperationUsage[] {
    return [...this.#entries.values()].sort((a, b) => b.calls - a.calls).map((e) => ({
      api: e.api, operation: e.operation, state: e.state, calls: e.calls, lastSeen: new Date(e.lastSeen).toISOString(), clients: e.clients.top(clients),
    }));
  }

  /** Subscribes to the lifecycle channel; returns the unsubscribe function. */
  subscribe(): () => void {
    const on = (msg: unknown): void => { try { this.record(msg as LifecycleUseMessage); } catch { /* never break the publisher */ } };
    diagnostics_channel.subscribe(CHANNELS.lifecycleUse, on);
    return () => { diagnostics_channel.unsubscribe(CHANNELS.lifecycleUse, on); };
  }
}
