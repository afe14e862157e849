import diagnostics_channel from 'node:diagnostics_channel';
import { CHANNELS, type SecurityEventMessage } from '../observability/channels.js';

/** A security event as kept by the ring: the message, when it arrived, and a sequence number. */
export interface RecentEvent {
  readonly id: number;
  readonly time: string;
  readonly kind: string;
  readonly reason: string;
  readonly severity: string;
  readonly requestId: string;
  readonly api: string;
  readonly operationId?: string;
  readonly client: string;
  readonly principal?: string;
  readonly stage?: string;
  readonly ruleIds?: readonly string[];
  readonly excerpt?: string;
  readonly enforced?: boolean;
}

/** Filters of {@link EventRing.query}; every given one must match. */
export interface EventFilter {
  /** Exact kind, or a prefix ending in `*` (`authn*`). */
  readonly kind?: string;
  /** Minimum severity. */
  readonly severity?: 'info' | 'low' | 'medium' | 'high';
  readonly client?: string;
  readonly api?: string;
  /** Only events with a larger id (for polling). */
  readonly after?: number;
  /** Newest first; default 100, at most the ring's capacity. */
  readonly limit?: number;
}

const RANK: Record<string, number> = { info: 0, low: 1, medium: 2, high: 3 };
const cut = (v: unknown, n: number) => (typeof v === 'string' ? v.slice(0, n) : '');

/**
 * The most recent security events of this process, in a fixed-size ring (oldest overwritten),
 * so a flood of events costs constant memory. Successful admin reads (`admin.read`) are left
 * out: the dashboard polls, and its own calls would push real events out.
 *
 * @example
 * const ring = new EventRing(1000);
 * const stop = ring.subscribe();
 * ring.query({ kind: 'authn*', severity: 'medium', limit: 50 });
 */
export class EventRing {
  readonly #slots: (RecentEvent | undefined)[];
  #next = 0;

  readonly capacity: number;

  constructor(capacity = 1000) {
    this.capacity = Math.max(1, capacity);
    this.#slots = new Array<RecentEvent | undefined>(Math.max(1, capacity)).fill(undefined);
  }

  /** Keeps one event (fields cut to bounded lengths: publishers are trusted, their inputs are not). */
  push(m: SecurityEventMessage, now = Date.now()): void {
    if (m.kind === 'admin.read') return;
    const id = ++this.#next;
    this.#slots[id % this.#slots.length] = {
      id, time: new Date(now).toISOString(), kind: cut(m.kind, 64), reason: cut(m.reason, 128), severity: cut(m.severity, 8),
      requestId: cut(m.requestId, 64), api: cut(m.api, 128), client: cut(m.client, 64),
      ...(m.operationId === undefined ? {} : { operationId: cut(m.operationId, 128) }),
      ...(m.principal === undefined ? {} : { principal: cut(m.principal, 256) }),
      ...(m.stage === undefined ? {} : { stage: cut(m.stage, 64) }),
      ...(m.ruleIds === undefined ? {} : { ruleIds: m.ruleIds.slice(0, 16).map((r) => cut(r, 64)) }),
      ...(m.excerpt === undefined ? {} : { excerpt: cut(m.excerpt, 300) }),
      ...(m.enforced === undefined ? {} : { enforced: m.enforced }),
    };
  }

  /** Matching events, newest first. */
  query(f: EventFilter = {}): RecentEvent[] {
    const limit = Math.max(1, Math.min(this.#slots.length, Math.floor(f.limit ?? 100)));
    const prefix = f.kind?.endsWith('*') === true ? f.kind.slice(0, -1) : undefined;
    const minRank = f.severity === undefined ? 0 : RANK[f.severity] ?? 0;
    const out: RecentEvent[] = [];
    const oldest = Math.max(1, this.#next - this.#slots.length + 1);
    for (let id = this.#next; id >= oldest && out.length < limit; id--) {
      if (f.after !== undefined && id <= f.after) break;
      const e = this.#slots[id % this.#slots.length];
      if (e === undefined || e.id !== id) continue;
      if (f.kind !== undefined && (prefix === undefined ? e.kind !== f.kind : !e.kind.startsWith(prefix))) continue;
      if ((RANK[e.severity] ?? 0) < minRank) continue;
      if (f.client !== undefined && e.client !== f.client) continue;
      if (f.api !== undefined && e.api !== f.api) continue;
      out.push(e);
    }
    return out;
  }

  /** Subscribes to the security-event channel; returns an unsubscribe. */
  subscribe(): () => void {
    const on = (msg: unknown) => {
      const m = msg as SecurityEventMessage;
      if (typeof m?.kind === 'string') this.push(m);
    };
    diagnostics_channel.subscribe(CHANNELS.securityEvent, on);
    return () => diagnostics_channel.unsubscribe(CHANNELS.securityEvent, on);
  }
}
