import { compileRequestKey, type RequestKey } from '../../pipeline/request-key.js';
import type { LimitRule } from './algorithms/types.js';
import type { PenaltyRule } from './algorithms/penalty.js';
import type { LimitConfig, RateLimitConfig } from './schema.js';

const UNIT: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/**
 * A duration string in ms (the schema guarantees the shape).
 *
 * @example
 * parseDuration('10s'); // 10000
 */
export function parseDuration(s: string): number {
  const m = /^([0-9]+)(ms|s|m|h|d)$/.exec(s);
  if (m === null) throw new Error(`invalid duration "${s}"`);
  return Number(m[1]) * UNIT[m[2]!]!;
}

/** A limit compiled once at load. */
export interface CompiledLimit {
  readonly name: string;
  /** State id within the client scope. */
  readonly id: string;
  readonly rule: LimitRule;
  readonly tiers: ReadonlyMap<string, LimitRule>;
  readonly appliesTo: LimitConfig['appliesTo'];
  /** `inspect` for a limit whose key reads the body (it runs once the body is read). */
  readonly phase: LimitConfig['phase'] | 'inspect';
  /** The configured key; undefined: the client key. */
  readonly key: RequestKey | undefined;
  readonly cost: number;
  readonly failOpen: boolean;
  /** Window in seconds for RateLimit-Policy `w`. */
  readonly windowSeconds: number;
}

/**
 * Compiles the limits of one plan; throws on combinations the schema cannot express.
 *
 * @example
 * const limits = compileLimits(config, 'books', 'listBooks');
 */
export function compileLimits(config: RateLimitConfig, apiName: string, operationId: string | undefined): CompiledLimit[] {
  const names = new Set<string>();
  return config.limits.map((l) => {
    if (names.has(l.name)) throw new Error(`rate-limit: duplicate limit name "${l.name}"`);
    names.add(l.name);
    if (l.phase === 'pre-auth' && l.appliesTo === 'authenticated') throw new Error(`rate-limit: limit "${l.name}" runs in pre-auth, before authentication, so it cannot apply to authenticated clients only`);
    let key: RequestKey | undefined;
    if (l.key !== undefined) {
      try {
        key = compileRequestKey(l.key, { ipv6Prefix: config.ipv6Prefix, apiKeyClaim: config.apiKeyClaim, fold: l.keyCase === 'fold' });
      } catch (err) {
        throw new Error(`rate-limit: limit "${l.name}" key: ${(err as Error).message}`, { cause: err });
      }
      if (l.phase === 'pre-auth' && (key.needsPrincipal || key.needsBody)) {
        throw new Error(`rate-limit: limit "${l.name}" runs in pre-auth, before authentication and before the body is read, so its key cannot use ${l.key.filter((p) => /^(principal|apiKey|claim:|body:|form:)/.test(p)).join(', ')}`);
      }
    }
    const windowMs = l.period === 'day' ? 86_400_000 : l.period === 'month' ? 30 * 86_400_000 : parseDuration(l.window);
    if (windowMs < 1) throw new Error(`rate-limit: limit "${l.name}" has an empty window`);
    const algorithm = l.period !== undefined ? 'fixed-window' : l.algorithm;
    if (algorithm === 'sliding-log' && Math.max(l.limit, ...Object.values(l.tiers)) > 10_000) throw new Error(`rate-limit: sliding-log keeps one timestamp per request; limit "${l.name}" must be at most 10000`);
    const make = (limit: number): LimitRule => ({
      algorithm, limit, windowMs,
      burst: l.burst ?? (algorithm === 'gcra' ? 1 : limit),
      calendar: l.period,
    });
    const id = l.scope === 'operation' ? `${apiName}:${operationId ?? '-'}:${l.name}` : `${apiName}:${l.name}`;
    return {
      name: l.name, id, rule: make(l.limit),
      tiers: new Map(Object.entries(l.tiers).map(([t, n]) => [t, make(n)])),
      appliesTo: l.appliesTo, phase: key?.needsBody === true ? 'inspect' : l.phase, key, cost: l.cost,
      failOpen: (l.onError ?? config.onError) === 'fail-open',
      windowSeconds: Math.max(1, Math.round(windowMs / 1000)),
    };
  });
}

/**
 * The penalty rule, or undefined when penalties are off.
 *
 * @example
 * compilePenalty(config)?.ladderMs; // [60000, 600000, 3600000]
 */
export function compilePenalty(config: RateLimitConfig): PenaltyRule | undefined {
  if (!config.penalty.enabled) return undefined;
  return { allowStrikes: config.penalty.allowStrikes, ladderMs: config.penalty.ladder.map(parseDuration), decayMs: Math.max(1, parseDuration(config.penalty.decay)) };
}
