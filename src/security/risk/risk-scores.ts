import diagnostics_channel from 'node:diagnostics_channel';
import { CHANNELS, publishRiskScore, type SecurityEventMessage } from '../../observability/channels.js';
import type { Clock, KeyValueStore } from '../../store/store.js';
import { decayed, formatRisk, parseRisk } from './decay.js';
import { DEFAULT_RISK_WEIGHTS, riskPoints } from './weights.js';

/** Options of {@link RiskScores}. */
export interface RiskScoreOptions {
  /** The score halves this often. Default 10 minutes. */
  readonly halfLifeMs?: number;
  /** Scores are capped here so one flood cannot pin a client for days. Default 1000. */
  readonly max?: number;
  readonly weights?: Readonly<Record<string, number>>;
  readonly now?: Clock;
  /** Reads are cached this long per subject (a store round trip per request otherwise). Default 1 s. */
  readonly cacheMs?: number;
  /** Bound of the read cache. Default 10000. */
  readonly cacheMax?: number;
}

/** Who a score belongs to: a client address or a principal id. */
export type RiskSubject = `ip:${string}` | `p:${string}`;

const key = (subject: RiskSubject) => `risk:${subject}`;

/**
 * Clients' risk scores in the shared store (so every instance sees them), raised by security
 * events of any stage and decaying with a half-life. Stages do not import each other: the
 * rate-limit stage reads scores from here, and events arrive on the security-event channel.
 * Raising is read-modify-write, chained per subject within a process; two instances raising the
 * same client at the same instant may lose one raise, which only makes the score a little lower.
 *
 * @example
 * const risk = new RiskScores(store);
 * const stop = risk.subscribe();
 * await risk.score('ip:203.0.113.7'); // 0 .. 1000
 */
export class RiskScores {
  readonly #store: KeyValueStore;
  readonly #halfLife: number;
  readonly #max: number;
  readonly #weights: Readonly<Record<string, number>>;
  readonly #now: Clock;
  readonly #cacheMs: number;
  readonly #cacheMax: number;
  readonly #cache = new Map<string, { score: number; at: number; until: number }>();
  readonly #chains = new Map<string, Promise<number>>();

  constructor(store: KeyValueStore, opts: RiskScoreOptions = {}) {
    this.#store = store;
    this.#halfLife = opts.halfLifeMs ?? 600_000;
    this.#max = opts.max ?? 1000;
    this.#weights = opts.weights ?? DEFAULT_RISK_WEIGHTS;
    this.#now = opts.now ?? Date.now;
    this.#cacheMs = opts.cacheMs ?? 1000;
    this.#cacheMax = opts.cacheMax ?? 10_000;
  }

  /** TTL of a stored score: by then it has halved eight times (under 0.4 % left). */
  get #ttlMs(): number {
    return this.#halfLife * 8;
  }

  /**
   * Adds points to a subject and returns the new (decayed, capped) score. Raises of one subject
   * are chained in this process, so a burst of events is not lost to interleaved read-modify-writes.
   */
  raise(subject: RiskSubject, points: number): Promise<number> {
    const prev = this.#chains.get(subject);
    const next = (prev === undefined ? this.#raise(subject, points) : prev.then(() => this.#raise(subject, points), () => this.#raise(subject, points)));
    this.#chains.set(subject, next);
    const clear = () => { if (this.#chains.get(subject) === next) this.#chains.delete(subject); };
    next.then(clear, clear);
    return next;
  }

  async #raise(subject: RiskSubject, points: number): Promise<number> {
    const now = this.#now();
    const prev = parseRisk(await this.#store.get(key(subject)));
    const score = Math.min(this.#max, (prev === undefined ? 0 : decayed(prev.score, now - prev.at, this.#halfLife)) + points);
    await this.#store.set(key(subject), formatRisk(score, now), this.#ttlMs);
    this.#remember(subject, score, now);
    return score;
  }

  /** The subject's current score (0 when none); cached for `cacheMs`. */
  async score(subject: RiskSubject): Promise<number> {
    const now = this.#now();
    const hit = this.#cache.get(subject);
    if (hit !== undefined && hit.until > now) return decayed(hit.score, now - hit.at, this.#halfLife);
    const stored = parseRisk(await this.#store.get(key(subject)));
    const score = stored === undefined ? 0 : decayed(stored.score, now - stored.at, this.#halfLife);
    this.#remember(subject, score, now);
    return score;
  }

  #remember(subject: string, score: number, now: number): void {
    this.#cache.delete(subject);
    this.#cache.set(subject, { score, at: now, until: now + this.#cacheMs });
    if (this.#cache.size > this.#cacheMax) this.#cache.delete(this.#cache.keys().next().value as string);
  }

  /**
   * Raises scores from security events: the client address and, when known, the principal.
   * Returns the unsubscribe function. Store failures are swallowed (a missed raise only
   * leaves the limits as configured).
   */
  subscribe(): () => void {
    const onEvent = (msg: unknown): void => {
      const m = msg as SecurityEventMessage;
      const points = riskPoints(m, this.#weights);
      if (points <= 0) return;
      const subjects: RiskSubject[] = [`ip:${m.client}`];
      if (m.principal !== undefined && m.principal !== '') subjects.push(`p:${m.principal}`);
      for (const s of subjects) {
        this.raise(s, points).then(
          (score) => publishRiskScore({ subject: s.startsWith('ip:') ? 'ip' : 'principal', kind: m.kind, points, score }),
          () => { /* best effort */ },
        );
      }
    };
    diagnostics_channel.subscribe(CHANNELS.securityEvent, onEvent);
    return () => diagnostics_channel.unsubscribe(CHANNELS.securityEvent, onEvent);
  }
}

const byStore = new WeakMap<KeyValueStore, RiskScores>();

/**
 * The risk scores of a gateway store, subscribed to security events on first use: one per store,
 * so every plan and reload of a gateway shares the subscription.
 *
 * @example
 * const risk = sharedRiskScores(deps.store);
 */
export function sharedRiskScores(store: KeyValueStore): RiskScores {
  let r = byStore.get(store);
  if (r === undefined) {
    r = new RiskScores(store);
    r.subscribe();
    byStore.set(store, r);
  }
  return r;
}
