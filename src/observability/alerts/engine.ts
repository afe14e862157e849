import { kindFilter } from '../audit/subscribe.js';
import type { SecurityEventMessage } from '../channels.js';
import { compileGroupBy } from './group-key.js';
import type { AlertRuleConfig } from './schema.js';
import { WindowCounter } from './window.js';

/** One alert, as delivered. */
export interface Alert {
  readonly rule: string;
  readonly severity: AlertRuleConfig['severity'];
  /** The group-by fields and their values (e.g. { 'client/24': '203.0.113.0/24' }). */
  readonly group: Readonly<Record<string, string>>;
  /** Matching events in the window when it fired. */
  readonly count: number;
  readonly threshold: number;
  readonly windowSeconds: number;
  /** Matching events in this group while the previous alert's cooldown was running (not alerted on). */
  readonly suppressed: number;
  readonly time: string;
  /** The event that crossed the threshold (its kind, reason, request id, API and operation). */
  readonly sample: Pick<SecurityEventMessage, 'kind' | 'reason' | 'requestId' | 'api' | 'operationId'>;
}

interface GroupState { readonly counter: WindowCounter; cooldownUntil: number; suppressed: number }

const RANK = { info: 0, low: 1, medium: 2, high: 3 } as const;

/**
 * One compiled rule: filter, per-group window counters (bounded: least recently seen group
 * forgotten beyond maxGroups), deduplication by cooldown per group.
 *
 * @example
 * const r = new AlertRule(cfg);
 * const alert = r.observe(event, Date.now()); // undefined or an Alert
 */
export class AlertRule {
  readonly config: AlertRuleConfig;
  readonly #kinds: (k: string) => boolean;
  readonly #group: ReturnType<typeof compileGroupBy>;
  readonly #groups = new Map<string, GroupState>();
  readonly #where: (e: SecurityEventMessage) => boolean;
  evicted = 0;

  constructor(c: AlertRuleConfig) {
    this.config = c;
    this.#kinds = kindFilter(c.kinds);
    this.#group = compileGroupBy(c.groupBy);
    const w = c.where;
    const sets = (['reason', 'api', 'operationId', 'stage'] as const).flatMap((f) => (w[f] === undefined ? [] : [[f, new Set(w[f])] as const]));
    const min = w.minSeverity === undefined ? 0 : RANK[w.minSeverity];
    this.#where = (e) => (RANK[e.severity] ?? 0) >= min && sets.every(([f, s]) => s.has(String(e[f] ?? '')));
  }

  get groupCount(): number { return this.#groups.size; }

  /** Counts the event if it matches; returns an alert when it crosses the threshold outside a cooldown. */
  observe(e: SecurityEventMessage, now: number): Alert | undefined {
    if (!this.#kinds(e.kind) || !this.#where(e)) return undefined;
    const { key, values } = this.#group(e);
    let g = this.#groups.get(key);
    if (g === undefined) {
      if (this.#groups.size >= this.config.maxGroups) {
        // Map iteration order is insertion order, and seen groups are re-inserted below: the first is the least recently seen.
        const oldest = this.#groups.keys().next().value as string;
        this.#groups.delete(oldest);
        this.evicted += 1;
      }
      g = { counter: new WindowCounter(this.config.windowSeconds * 1000), cooldownUntil: 0, suppressed: 0 };
    } else {
      this.#groups.delete(key);
    }
    this.#groups.set(key, g);
    // An aggregated event (overload.shed: one per client per second, ADR 0032) stands for `count` events.
    const count = g.counter.add(now, e.count !== undefined && e.count > 0 ? e.count : 1);
    if (count <= this.config.threshold) return undefined;
    if (now < g.cooldownUntil) { g.suppressed += 1; return undefined; }
    const suppressed = g.suppressed;
    g.suppressed = 0;
    g.cooldownUntil = now + this.config.cooldownSeconds * 1000;
    return {
      rule: this.config.name, severity: this.config.severity, group: values, count, threshold: this.config.threshold,
      windowSeconds: this.config.windowSeconds, suppressed, time: new Date(now).toISOString(),
      sample: { kind: e.kind, reason: e.reason, requestId: e.requestId, api: e.api, operationId: e.operationId },
    };
  }
}
