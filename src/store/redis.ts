import { createHash } from 'node:crypto';
import { Redis, ReplyError, type RedisOptions } from 'ioredis';
import { StoreBreaker } from './breaker.js';
import type { CompareAndSetResult, KeyValueStore } from './store.js';

/** Options of {@link RedisStore}. */
export interface RedisStoreOptions {
  /** redis:// or rediss:// URL. */
  readonly url: string;
  /** Prefix of every key written, so several gateways or test runs can share one Redis. */
  readonly keyPrefix: string;
  /** Bound on a single command; a stalled Redis must not stall requests (DESIGN: every wait has a timeout). */
  readonly commandTimeoutMs?: number;
  /** How often a store found unavailable is probed. Default 200 ms. */
  readonly probeIntervalMs?: number;
  /** Told when Redis becomes unavailable (true) and available again (false). */
  readonly onAvailabilityChange?: (unavailable: boolean) => void;
}

// Creates the counter with its TTL only when this call created it: an existing counter keeps its
// expiry, as the memory store does. PTTL -1 (no expiry) is reported as 0. ARGV[3] is the deadline
// (Redis TIME ms, 0 = none): a call that reaches Redis after its caller gave up (a stalled server
// resuming) changes nothing and returns a TTL of -1, which a real call never does.
const INCREMENT = `
local deadline = tonumber(ARGV[3])
if deadline > 0 then
  local t = redis.call('TIME')
  if tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) > deadline then return {0, -1} end
end
local existed = redis.call('EXISTS', KEYS[1])
local v = redis.call('INCRBY', KEYS[1], ARGV[1])
local ttl = tonumber(ARGV[2])
if existed == 0 and ttl > 0 then redis.call('PEXPIRE', KEYS[1], ttl) end
local left = redis.call('PTTL', KEYS[1])
if left < 0 then left = 0 end
return {v, left}
`;

// Compares the stored value by its SHA-1 (ARGV[1]; '' = the key must be absent), so a write sends
// the expected value's 40-character digest instead of the whole value a second time. On a
// mismatch the current value comes back for the caller to merge into.
const COMPARE_AND_SET = `
local cur = redis.call('GET', KEYS[1])
local want = ARGV[1]
if (cur == false and want == '') or (cur ~= false and want ~= '' and redis.sha1hex(cur) == want) then
  local ttl = tonumber(ARGV[3])
  if ttl > 0 then redis.call('SET', KEYS[1], ARGV[2], 'PX', ttl) else redis.call('SET', KEYS[1], ARGV[2]) end
  return {1}
end
if cur == false then return {0} end
return {0, cur}
`;

/**
 * The shared store backed by Redis (ioredis). Every operation is one atomic command or
 * Lua script. An outage is detected once (a lost connection, or the first command that times
 * out) and opens a breaker: from then on every command fails at once, without a network round
 * trip, and callers apply their failure policy within microseconds. There is no offline queue and
 * no resend of unanswered commands, so nothing issued during the outage runs after Redis
 * returns. The client reconnects in the background (every 500 ms at most), and the breaker
 * closes on the first successful PING, so recovery needs no restart. See docs/adr/0009.
 *
 * @example
 * const store = new RedisStore({ url: 'redis://127.0.0.1:6379', keyPrefix: 'pcl:' });
 * await store.setIfAbsent('nonce:abc', '1', 300_000);
 */
export class RedisStore implements KeyValueStore {
  readonly #redis: Redis;
  readonly #prefix: string;
  readonly #breaker: StoreBreaker;

  constructor(opts: RedisStoreOptions) {
    this.#prefix = opts.keyPrefix;
    const options: RedisOptions = {
      commandTimeout: opts.commandTimeoutMs ?? 1_000,
      // Until the first connection, commands wait for it (bounded by commandTimeout). From then on a
      // command issued while Redis is away fails at once; none waits in a queue to run later (a
      // rate-limit check replayed after the outage would spend a client's tokens twice).
      enableOfflineQueue: true,
      autoResendUnfulfilledCommands: false,
      maxRetriesPerRequest: 0,
      // Reconnect forever with a short capped backoff: Redis coming back is picked up within a second.
      retryStrategy: (times) => Math.min(times * 50, 500),
      lazyConnect: false,
    };
    this.#redis = new Redis(opts.url, options);
    // Without a listener ioredis prints every connection error; callers see failures per command.
    this.#redis.on('error', () => {});
    this.#redis.defineCommand('pclIncrement', { numberOfKeys: 1, lua: INCREMENT });
    this.#redis.defineCommand('pclCompareAndSet', { numberOfKeys: 1, lua: COMPARE_AND_SET });
    this.#breaker = new StoreBreaker({
      probe: () => this.#redis.ping(),
      probeIntervalMs: opts.probeIntervalMs ?? 200,
      // A reply error (WRONGTYPE, a script error) comes from a Redis that answers.
      isHealthy: (err) => err instanceof ReplyError,
      ...(opts.onAvailabilityChange === undefined ? {} : { onChange: opts.onAvailabilityChange }),
    });
    this.#redis.on('close', () => this.#breaker.trip());
    this.#redis.on('ready', () => {
      this.#redis.options.enableOfflineQueue = false;
      this.#breaker.probeNow();
      void this.#syncClock();
    });
    this.#commandTimeoutMs = options.commandTimeout!;
    // Clocks drift slowly; a minute keeps the offset within a few ms of the truth.
    this.#clockTimer = setInterval(() => { if (!this.#breaker.open) void this.#syncClock(); }, 60_000);
    this.#clockTimer.unref();
  }

  readonly #commandTimeoutMs: number;
  readonly #clockTimer: NodeJS.Timeout;
  /** Redis TIME minus this process's clock, in ms (error at most half a round trip). */
  #clockOffsetMs: number | undefined;

  async #syncClock(): Promise<void> {
    try {
      const t0 = Date.now();
      const [sec, micro] = await this.#redis.time();
      const t1 = Date.now();
      this.#clockOffsetMs = Number(sec) * 1000 + Math.floor(Number(micro) / 1000) - (t0 + t1) / 2;
    } catch {
      // The breaker handles an unreachable Redis; the old offset (or none) stays.
    }
  }

  /**
   * The Redis TIME (ms) after which a command sent now must not take effect: by then this client
   * has given up on it (command timeout) and answered by the failure policy. A Redis that stalled
   * and resumes would otherwise run the queued command late and spend a client's tokens for a
   * request already answered (issue 12, item 4). 0 while the clock offset is not known yet.
   */
  deadline(): number {
    return this.#clockOffsetMs === undefined ? 0 : Math.floor(Date.now() + this.#clockOffsetMs + this.#commandTimeoutMs);
  }

  /** The ioredis client, for back-ends that run their own scripts on the same connection (through {@link run}). */
  get client(): Redis {
    return this.#redis;
  }

  /** False while the breaker is open (Redis found unreachable and not yet probed back). */
  get available(): boolean {
    return !this.#breaker.open;
  }

  /**
   * Runs commands on {@link client} behind this store's breaker: fails at once while Redis is
   * known to be down, and a timeout or lost connection opens the breaker for every user.
   *
   * @example
   * const keys = await store.run((r) => r.scan('0', 'MATCH', 'pcl:*'));
   */
  run<T>(command: (redis: Redis) => Promise<T>): Promise<T> {
    return this.#breaker.run(() => command(this.#redis));
  }

  /** The key prefix every key of this store carries. */
  get keyPrefix(): string {
    return this.#prefix;
  }

  async get(key: string): Promise<string | undefined> {
    return (await this.run((r) => r.get(this.#prefix + key))) ?? undefined;
  }

  async set(key: string, value: string, ttlMs: number): Promise<void> {
    await this.run((r) => (ttlMs > 0 ? r.set(this.#prefix + key, value, 'PX', ttlMs) : r.set(this.#prefix + key, value)));
  }

  async setIfAbsent(key: string, value: string, ttlMs: number): Promise<boolean> {
    const r = await this.run((c) => (ttlMs > 0 ? c.set(this.#prefix + key, value, 'PX', ttlMs, 'NX') : c.set(this.#prefix + key, value, 'NX')));
    return r === 'OK';
  }

  /**
   * An increment carries the same deadline as a rate-limit check: a concurrency slot taken by a
   * call that timed out (its request answered by the failure policy, never released) must not be
   * held once a stalled Redis resumes. A decrement carries none: a late one still gives back what
   * an earlier increment took.
   */
  async increment(key: string, delta: number, ttlMs: number): Promise<{ value: number; ttlMs: number }> {
    const [value, left] = await this.run((r) => (r as unknown as { pclIncrement(k: string, d: number, t: number, deadline: number): Promise<[number, number]> })
      .pclIncrement(this.#prefix + key, Math.trunc(delta), Math.max(0, Math.trunc(ttlMs)), delta > 0 ? this.deadline() : 0));
    if (Number(left) === -1) throw new Error('increment reached Redis after its deadline; nothing was changed');
    return { value: Number(value), ttlMs: Number(left) };
  }

  async compareAndSet(key: string, expected: string | undefined, value: string, ttlMs: number): Promise<CompareAndSetResult> {
    const want = expected === undefined ? '' : createHash('sha1').update(expected).digest('hex');
    const r = await this.run((c) => (c as unknown as { pclCompareAndSet(k: string, w: string, v: string, t: number): Promise<[number, string?]> })
      .pclCompareAndSet(this.#prefix + key, want, value, Math.max(0, Math.trunc(ttlMs))));
    return Number(r[0]) === 1 ? { written: true } : { written: false, current: r[1] ?? undefined };
  }

  async delete(key: string): Promise<void> {
    await this.run((r) => r.del(this.#prefix + key));
  }

  async close(): Promise<void> {
    clearInterval(this.#clockTimer);
    this.#breaker.stop();
    try {
      await this.#redis.quit();
    } catch {
      this.#redis.disconnect();
    }
  }
}
