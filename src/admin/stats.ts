import diagnostics_channel from 'node:diagnostics_channel';
import { CHANNELS, type RequestEndMessage, type SecurityEventMessage } from '../observability/channels.js';
import { SpaceSaving, type TopKEntry } from './top-k.js';

// Latency buckets: 0.1 ms × 1.2^i up to ~2 min; percentiles are read at the bucket's upper bound (≤ 20% high).
const BASE_S = 0.0001;
const FACTOR = 1.2;
const BUCKETS = 78;
const SECONDS = 300;
const MAX_GROUPS = 512;

function bucketOf(s: number): number {
  if (!(s > BASE_S)) return 0;
  return Math.min(BUCKETS - 1, Math.ceil(Math.log(s / BASE_S) / Math.log(FACTOR)));
}
const upper = (i: number) => BASE_S * FACTOR ** i;

interface Second { t: number; requests: number; rejected: number; hist: Uint32Array }

/** Latency percentiles in milliseconds. */
export interface Percentiles { readonly p50: number; readonly p90: number; readonly p99: number }

/** What `GET /admin/stats` answers. */
export interface StatsSnapshot {
  readonly now: number;
  readonly since: number;
  readonly totals: { readonly requests: number; readonly rejected: number; readonly events: number };
  /** Per second over the last `seconds`: unix seconds, requests, rejected, p50 and p99 ms (null when idle). */
  readonly series: { readonly t: number[]; readonly requests: number[]; readonly rejected: number[]; readonly p50: (number | null)[]; readonly p99: (number | null)[] };
  /** Over the last minute. */
  readonly lastMinute: { readonly requestsPerSecond: number; readonly latencyMs: Percentiles | null };
  readonly rejections: { readonly stage: string; readonly code: string; readonly count: number }[];
  readonly events: { readonly kind: string; readonly reason: string; readonly count: number }[];
  readonly topClients: TopKEntry[];
}

function percentiles(hist: Uint32Array): Percentiles | null {
  let total = 0;
  for (const c of hist) total += c;
  if (total === 0) return null;
  const at = (q: number) => {
    const rank = Math.ceil(q * total);
    let seen = 0;
    for (let i = 0; i < hist.length; i++) { seen += hist[i]!; if (seen >= rank) return Math.round(upper(i) * 1e6) / 1e3; }
    return Math.round(upper(hist.length - 1) * 1e6) / 1e3;
  };
  return { p50: at(0.5), p90: at(0.9), p99: at(0.99) };
}

function bump(map: Map<string, number>, key: string): void {
  const n = map.get(key);
  // Stage names, codes, kinds and reasons form small closed sets; the cap guards against a publisher that does not.
  if (n !== undefined) map.set(key, n + 1);
  else if (map.size < MAX_GROUPS) map.set(key, 1);
  else map.set('(other)', (map.get('(other)') ?? 0) + 1);
}

/**
 * Live traffic statistics of this process, fed by the request-end and security-event channels,
 * in fixed memory: a ring of 300 one-second slots (request and rejection counts, a log-bucket
 * latency histogram), rejection and event counts by group (capped), and the top offending
 * clients (space-saving, 100 counters) ranked by rejected requests and refused admin calls.
 *
 * @example
 * const stats = new LiveStats();
 * const stop = stats.subscribe();
 * stats.snapshot(); // { series, lastMinute, rejections, events, topClients, … }
 */
export class LiveStats {
  readonly #ring: Second[] = Array.from({ length: SECONDS }, () => ({ t: -1, requests: 0, rejected: 0, hist: new Uint32Array(BUCKETS) }));
  readonly #rejections = new Map<string, number>();
  readonly #events = new Map<string, number>();
  readonly #offenders = new SpaceSaving(100);
  readonly #now: () => number;
  readonly #since: number;
  #requests = 0;
  #rejected = 0;
  #eventCount = 0;

  constructor(opts: { now?: () => number } = {}) {
    this.#now = opts.now ?? Date.now;
    this.#since = this.#now();
  }

  #slot(sec: number): Second {
    const s = this.#ring[sec % SECONDS]!;
    if (s.t !== sec) { s.t = sec; s.requests = 0; s.rejected = 0; s.hist.fill(0); }
    return s;
  }

  /** Counts one finished request. */
  request(m: Pick<RequestEndMessage, 'durationS' | 'decision' | 'stage' | 'code' | 'client'>): void {
    const s = this.#slot(Math.floor(this.#now() / 1000));
    s.requests += 1;
    s.hist[bucketOf(m.durationS)]! += 1;
    this.#requests += 1;
    // HTTP-layer refusals (malformed, slow) count as rejections on the dashboard too.
    if (m.decision === 'rejected' || m.decision === 'refused') {
      s.rejected += 1;
      this.#rejected += 1;
      bump(this.#rejections, `${m.stage ?? '(gateway)'}\u0000${m.code ?? ''}`);
      this.#offenders.add(m.client);
    }
  }

  /** Counts one security event (admin reads are not offences). */
  event(m: Pick<SecurityEventMessage, 'kind' | 'reason' | 'client' | 'severity'>): void {
    if (m.kind === 'admin.read') return;
    this.#eventCount += 1;
    bump(this.#events, `${m.kind}\u0000${m.reason}`);
    // Gateway rejections are counted from request ends; refused admin calls never reach that channel.
    if (m.kind === 'admin.denied') this.#offenders.add(m.client);
  }

  /** Everything the dashboard shows, over the last `seconds` (at most 300). */
  snapshot(seconds = 120): StatsSnapshot {
    const now = this.#now();
    const nowSec = Math.floor(now / 1000);
    const n = Math.max(1, Math.min(SECONDS, Math.floor(seconds)));
    const series = { t: [] as number[], requests: [] as number[], rejected: [] as number[], p50: [] as (number | null)[], p99: [] as (number | null)[] };
    const minute = new Uint32Array(BUCKETS);
    let minuteRequests = 0;
    for (let sec = nowSec - n + 1; sec <= nowSec; sec++) {
      const s = this.#ring[sec % SECONDS]!;
      const live = s.t === sec;
      series.t.push(sec);
      series.requests.push(live ? s.requests : 0);
      series.rejected.push(live ? s.rejected : 0);
      const p = live ? percentiles(s.hist) : null;
      series.p50.push(p?.p50 ?? null);
      series.p99.push(p?.p99 ?? null);
    }
    for (let sec = nowSec - 59; sec <= nowSec; sec++) {
      const s = this.#ring[sec % SECONDS]!;
      if (s.t !== sec) continue;
      minuteRequests += s.requests;
      for (let i = 0; i < BUCKETS; i++) minute[i]! += s.hist[i]!;
    }
    const split = (map: Map<string, number>) => [...map].sort((a, b) => b[1] - a[1]).map(([k, count]) => {
      const [a = '', b = ''] = k.split('\u0000');
      return { a, b, count };
    });
    return {
      now, since: this.#since,
      totals: { requests: this.#requests, rejected: this.#rejected, events: this.#eventCount },
      series,
      lastMinute: { requestsPerSecond: Math.round((minuteRequests / 60) * 100) / 100, latencyMs: percentiles(minute) },
      rejections: split(this.#rejections).map(({ a, b, count }) => ({ stage: a, code: b, count })),
      events: split(this.#events).map(({ a, b, count }) => ({ kind: a, reason: b, count })),
      topClients: this.#offenders.top(20),
    };
  }

  /** Subscribes to the request-end and security-event channels; returns an unsubscribe. */
  subscribe(): () => void {
    const onEnd = (msg: unknown) => this.request(msg as RequestEndMessage);
    const onEvent = (msg: unknown) => this.event(msg as SecurityEventMessage);
    diagnostics_channel.subscribe(CHANNELS.requestEnd, onEnd);
    diagnostics_channel.subscribe(CHANNELS.securityEvent, onEvent);
    return () => {
      diagnostics_channel.unsubscribe(CHANNELS.requestEnd, onEnd);
      diagnostics_channel.unsubscribe(CHANNELS.securityEvent, onEvent);
    };
  }
}
