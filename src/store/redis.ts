import { Redis, type RedisOptions } from 'ioredis';
import type { KeyValueStore } from './store.js';

/** Options of {@link RedisStore}. */
export interface RedisStoreOptions {
  /** redis:// or rediss:// URL. */
  readonly url: string;
  /** Prefix of every key written, so several gateways or test runs can share one Redis. */
  readonly keyPrefix: string;
  /** Bound on a single command; a stalled Redis must not stall requests (DESIGN: every wait has a timeout). */
  readonly commandTimeoutMs?: number;
}

// Creates the counter with its TTL only when this call created it: an existing counter keeps its
// expiry, as the memory store does. PTTL -1 (no expiry) is reported as 0.
const INCREMENT = `
local existed = redis.call('EXISTS', KEYS[1])
local v = redis.call('INCRBY', KEYS[1], ARGV[1])
local ttl = tonumber(ARGV[2])
if existed == 0 and ttl > 0 then redis.call('PEXPIRE', KEYS[1], ttl) end
local left = redis.call('PTTL', KEYS[1])
if left < 0 then left = 0 end
return {v, left}
`;

/**
 * The shared store backed by Redis (ioredis). Every operation is one atomic command or
 * Lua script. Commands fail fast while Redis is unreachable (callers apply their failure
 * policy) and the client reconnects in the background, so recovery needs no restart.
 *
 * @example
 * const store = new RedisStore({ url: 'redis://127.0.0.1:6379', keyPrefix: 'pcl:' });
 * await store.setIfAbsent('nonce:abc', '1', 300_000);
 */
export class RedisStore implements KeyValueStore {
  readonly #redis: Redis;
  readonly #prefix: string;

  constructor(opts: RedisStoreOptions) {
    this.#prefix = opts.keyPrefix;
    const options: RedisOptions = {
      commandTimeout: opts.commandTimeoutMs ?? 1_000,
      maxRetriesPerRequest: 1,
      // Reconnect forever with a capped backoff: Redis coming back is picked up without a restart.
      retryStrategy: (times) => Math.min(times * 100, 2_000),
      lazyConnect: false,
    };
    this.#redis = new Redis(opts.url, options);
    // Without a listener ioredis prints every connection error; callers see failures per command.
    this.#redis.on('error', () => {});
    this.#redis.defineCommand('pclIncrement', { numberOfKeys: 1, lua: INCREMENT });
  }

  /** The ioredis client, for back-ends that run their own scripts on the same connection. */
  get client(): Redis {
    return this.#redis;
  }

  /** The key prefix every key of this store carries. */
  get keyPrefix(): string {
    return this.#prefix;
  }

  async get(key: string): Promise<string | undefined> {
    return (await this.#redis.get(this.#prefix + key)) ?? undefined;
  }

  async set(key: string, value: string, ttlMs: number): Promise<void> {
    if (ttlMs > 0) await this.#redis.set(this.#prefix + key, value, 'PX', ttlMs);
    else await this.#redis.set(this.#prefix + key, value);
  }

  async setIfAbsent(key: string, value: string, ttlMs: number): Promise<boolean> {
    const r = ttlMs > 0
      ? await this.#redis.set(this.#prefix + key, value, 'PX', ttlMs, 'NX')
      : await this.#redis.set(this.#prefix + key, value, 'NX');
    return r === 'OK';
  }

  async increment(key: string, delta: number, ttlMs: number): Promise<{ value: number; ttlMs: number }> {
    const run = (this.#redis as unknown as { pclIncrement(k: string, d: number, t: number): Promise<[number, number]> }).pclIncrement;
    const [value, left] = await run.call(this.#redis, this.#prefix + key, Math.trunc(delta), Math.max(0, Math.trunc(ttlMs)));
    return { value: Number(value), ttlMs: Number(left) };
  }

  async delete(key: string): Promise<void> {
    await this.#redis.del(this.#prefix + key);
  }

  async close(): Promise<void> {
    try {
      await this.#redis.quit();
    } catch {
      this.#redis.disconnect();
    }
  }
}
