import type { StoreConfig } from '../config/schema.js';
import { MemoryStore } from './memory.js';
import { RedisStore } from './redis.js';
import type { KeyValueStore } from './store.js';

/**
 * Builds the gateway's shared store from the `store` config block. A memory store ignores
 * keyPrefix (it is private to the process); Redis prefixes every key with it.
 *
 * @example
 * const store = createStore(loaded.config.store);
 */
export function createStore(config: StoreConfig): KeyValueStore {
  if (config.backend === 'redis') return new RedisStore({ url: config.redisUrl, keyPrefix: config.keyPrefix });
  return new MemoryStore({ maxKeys: config.maxKeys });
}
