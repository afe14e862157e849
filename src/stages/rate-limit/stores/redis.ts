import type { Redis } from 'ioredis';
import { CHECK_SCRIPT } from './lua.js';
import type { CheckRequest, CheckResult, LimitDecision, RateLimitStore } from './store.js';
import { stateKey } from './check.js';

const ALG = { 'token-bucket': 1, 'gcra': 2, 'fixed-window': 3, 'sliding-window': 4, 'sliding-log': 5 } as const;
const CAL = { day: 1, month: 2 } as const;
/** Checks per script call: bounds one call's time inside Redis (which runs nothing else meanwhile). */
const MAX_BATCH = 64;

type Runner = (numKeys: number, keys: string[], args: (string | number)[]) => Promise<number[]>;
interface Pending { readonly request: CheckRequest; readonly resolve: (r: CheckResult) => void; readonly reject: (e: unknown) => void }

/**
 * Rate-limit state in Redis: the checks issued during one event-loop turn go to Redis as ONE Lua
 * script call (EVALSHA, loaded on first use), which evaluates each of them atomically, in order,
 * on Redis TIME: all of a check's limits and its penalty together. Keys are
 * `{<prefix>rl:<scope>}:<limit id>`: the hash tag puts one client's keys in one Redis Cluster
 * slot, which a multi-key script needs. See docs/adr/0034 for why the batch (not a local budget).
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
  #pending: Pending[] = [];

  /**
   * `now` replaces Redis TIME; for tests that compare the script with the TypeScript algorithms only.
   * `run` wraps each script call (the shared store's breaker: fail at once while Redis is down).
   * `deadline` gives the Redis TIME (ms) after which a call must not change state (0 = none).
   */
  constructor(redis: Redis, prefix: string, opts: { now?: () => number; run?: <T>(command: () => Promise<T>) => Promise<T>; deadline?: () => number } = {}) {
    this.#prefix = prefix;
    this.#now = opts.now;
    this.#deadline = opts.deadline ?? (() => 0);
    if (!('pclRateLimit' in redis)) redis.defineCommand('pclRateLimit', { lua: CHECK_SCRIPT });
    const fn = (redis as unknown as { pclRateLimit: Runner }).pclRateLimit;
    const guard = opts.run ?? ((c) => c());
    this.#run = (numKeys, keys, args) => guard(() => fn.call(redis, numKeys, keys, args));
  }

  check(request: CheckRequest): Promise<CheckResult> {
    return new Promise((resolve, reject) => {
      // The rest of this loop turn's checks join this one: one command, one write, one script run.
      if (this.#pending.length === 0) setImmediate(() => this.#flush());
      this.#pending.push({ request, resolve, reject });
    });
  }

  #flush(): void {
    const all = this.#pending;
    this.#pending = [];
    for (let i = 0; i < all.length; i += MAX_BATCH) void this.#send(all.length <= MAX_BATCH ? all : all.slice(i, i + MAX_BATCH));
  }

  async #send(batch: readonly Pending[]): Promise<void> {
    const keys: string[] = [];
    const args: (string | number)[] = [this.#now?.() ?? 0, this.#deadline()];
    for (const { request } of batch) this.#encode(request, keys, args);
    let out: number[];
    try {
      out = await this.#run(keys.length, keys, args);
      // Only a script that ran after its deadline says so; its callers gave up on it long ago.
      if (out[0] === -1) throw new Error('rate-limit check reached Redis after its deadline; nothing was spent');
    } catch (err) {
      for (const p of batch) p.reject(err);
      return;
    }
    let at = 0;
    for (const p of batch) {
      p.resolve(decode(out, at, p.request));
      at += 1 + out[at]!;
    }
  }

  #encode(request: CheckRequest, keys: string[], args: (string | number)[]): void {
    const scopeKey = stateKey(this.#prefix, request.scope, '');
    for (const l of request.limits) keys.push(scopeKey + l.id);
    args.push(request.limits.length);
    const pen = request.penalty;
    if (pen !== undefined) {
      keys.push(scopeKey + pen.id);
      args.push(1, pen.rule.allowStrikes, pen.rule.decayMs, pen.rule.ladderMs.length);
      for (const ms of pen.rule.ladderMs) args.push(ms);
    } else {
      args.push(0);
    }
    for (const l of request.limits) {
      const r = l.rule;
      args.push(ALG[r.algorithm], r.limit, r.windowMs, r.burst, r.calendar === undefined ? 0 : CAL[r.calendar], l.cost);
    }
  }

  /** The connection belongs to the gateway's shared store, which closes it. */
  async close(): Promise<void> {}
}

/** One check's verdict from the script's reply, starting at its length field `at`. */
function decode(out: readonly number[], at: number, request: CheckRequest): CheckResult {
  const len = out[at]!;
  const penaltyBlocked = out[at + 2] === 1;
  const strikes = Number(out[at + 4] ?? 0);
  if (penaltyBlocked && len === 4) {
    return { allowed: false, decisions: [], penalty: { blocked: true, retryAfterMs: Number(out[at + 3]), strikes } };
  }
  const decisions: LimitDecision[] = [];
  for (let i = at + 5; i + 3 <= at + len; i += 4) {
    decisions.push({ allowed: out[i] === 1, remaining: Number(out[i + 1]), resetMs: Number(out[i + 2]), retryAfterMs: Number(out[i + 3]) });
  }
  const allowed = out[at + 1] === 1;
  if (!allowed && request.penalty !== undefined) return { allowed, decisions, penalty: { blocked: penaltyBlocked, retryAfterMs: Number(out[at + 3]), strikes } };
  return { allowed, decisions };
}
