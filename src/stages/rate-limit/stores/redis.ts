import type { Redis } from 'ioredis';
import { CHECK_SCRIPT } from './lua.js';
import type { CheckRequest, CheckResult, LimitDecision, RateLimitStore } from './store.js';
import { stateKey } from './check.js';

const ALG = { 'token-bucket': 1, 'gcra': 2, 'fixed-window': 3, 'sliding-window': 4, 'sliding-log': 5 } as const;
const CAL = { day: 1, month: 2 } as const;

type Runner = (numKeys: number, ...args: (string | number)[]) => Promise<number[]>;

/**
 * Rate-limit state in Redis: every check is ONE Lua script (EVALSHA, loaded on first use)
 * evaluating all of a request's limits and its penalty atomically, on Redis TIME. Keys are
 * `{<prefix>rl:<scope>}:<limit id>`: the hash tag puts one client's keys in one Redis Cluster
 * slot, which a multi-key script needs.
 *
 * @example
 * const store = new RedisRateLimitStore(redisStore.client, 'pcl:');
 */
export class RedisRateLimitStore implements RateLimitStore {
  readonly backend = 'redis';
  readonly #prefix: string;
  readonly #run: Runner;

  readonly #now: (() => number) | undefined;
  readonly #deadline: () => number;

  /**
   * `now` replaces Redis TIME; for tests that compare the script with the TypeScript algorithms only.
   * `run` wraps each script call (the shared store's breaker: fail at once while Redis is down).
   * `deadline` gives the Redis TIME (ms) after which a check must not change state (0 = none).
   */
  constructor(redis: Redis, prefix: string, opts: { now?: () => number; run?: <T>(command: () => Promise<T>) => Promise<T>; deadline?: () => number } = {}) {
    this.#prefix = prefix;
    this.#now = opts.now;
    this.#deadline = opts.deadline ?? (() => 0);
    if (!('pclRateLimit' in redis)) redis.defineCommand('pclRateLimit', { lua: CHECK_SCRIPT });
    const fn = (redis as unknown as { pclRateLimit: Runner }).pclRateLimit;
    const guard = opts.run ?? ((c) => c());
    this.#run = (numKeys, ...args) => guard(() => fn.call(redis, numKeys, ...args));
  }

  async check(request: CheckRequest): Promise<CheckResult> {
    const keys = request.limits.map((l) => stateKey(this.#prefix, request.scope, l.id));
    const args: (string | number)[] = [this.#now?.() ?? 0, request.limits.length];
    const pen = request.penalty;
    if (pen !== undefined) {
      keys.push(stateKey(this.#prefix, request.scope, pen.id));
      args.push(1, pen.rule.allowStrikes, pen.rule.decayMs, pen.rule.ladderMs.length, ...pen.rule.ladderMs);
    } else {
      args.push(0);
    }
    for (const l of request.limits) {
      const r = l.rule;
      args.push(ALG[r.algorithm], r.limit, r.windowMs, r.burst, r.calendar === undefined ? 0 : CAL[r.calendar], l.cost);
    }
    args.push(this.#deadline());
    const out = await this.#run(keys.length, ...keys, ...args);
    // Only a script that ran after its deadline says so; its caller gave up on it long ago.
    if (out[0] === -1) throw new Error('rate-limit check reached Redis after its deadline; nothing was spent');
    const penaltyBlocked = out[1] === 1;
    const strikes = Number(out[3] ?? 0);
    if (penaltyBlocked && out.length === 4) {
      return { allowed: false, decisions: [], penalty: { blocked: true, retryAfterMs: Number(out[2]), strikes } };
    }
    const decisions: LimitDecision[] = [];
    for (let i = 4; i + 3 < out.length; i += 4) {
      decisions.push({ allowed: out[i] === 1, remaining: Number(out[i + 1]), resetMs: Number(out[i + 2]), retryAfterMs: Number(out[i + 3]) });
    }
    const allowed = out[0] === 1;
    if (!allowed && pen !== undefined) return { allowed, decisions, penalty: { blocked: penaltyBlocked, retryAfterMs: Number(out[2]), strikes } };
    return { allowed, decisions };
  }

  /** The connection belongs to the gateway's shared store, which closes it. */
  async close(): Promise<void> {}
}
