import { ClusterStoreClient } from '../../store/cluster.js';
import { RedisStore } from '../../store/redis.js';
import { ClusterRateLimitStore } from './stores/cluster.js';
import type { KeyValueStore } from '../../store/store.js';
import { MemoryRateLimitStore } from './stores/memory.js';
import { RedisRateLimitStore } from './stores/redis.js';
import { publishRateLimitStore } from '../../observability/channels.js';
import type { CheckRequest, CheckResult, RateLimitStore } from './stores/store.js';

interface Shared { primary: RateLimitStore; fallback: MemoryRateLimitStore }
const byStore = new WeakMap<KeyValueStore, Shared>();

/**
 * The rate-limit store for the gateway's shared store: Redis scripts on the same connection when the
 * gateway uses Redis, the cluster primary's memory store in a `--workers` worker, else a bounded memory store. Plans are compiled per operation and per reload,
 * but counters must be shared by all of them, so one instance is kept per gateway store. The fallback
 * is the local limiter fail-open limits use while Redis is unreachable.
 *
 * @example
 * const { primary, fallback } = sharedRateLimitStores(deps.store, 100_000);
 */
export function sharedRateLimitStores(store: KeyValueStore, maxKeys: number): Shared {
  let shared = byStore.get(store);
  if (shared === undefined) {
    const fallback = new MemoryRateLimitStore({ maxKeys });
    const primary = store instanceof RedisStore ? new RedisRateLimitStore(store.client, store.keyPrefix, { run: (c) => store.run(c), deadline: () => store.deadline() })
      : store instanceof ClusterStoreClient ? new ClusterRateLimitStore(store)
      : new MemoryRateLimitStore({ maxKeys });
    shared = { primary, fallback };
    byStore.set(store, shared);
  }
  return shared;
}

/**
 * One check against a rate-limit store, its duration and outcome published for the store
 * metrics (`riskBand` -1 when no risk band applies); a store failure is published, then rethrown
 * for the caller's policy (fail closed, or the local fallback).
 *
 * @example
 * const result = await timedCheck(primary, request, -1);
 */
export async function timedCheck(store: RateLimitStore, request: CheckRequest, riskBand: number): Promise<CheckResult> {
  const started = performance.now();
  try {
    const result = await store.check(request);
    publishRateLimitStore(() => ({ backend: store.backend, ok: true, durationS: (performance.now() - started) / 1000, riskBand }));
    return result;
  } catch (err) {
    publishRateLimitStore(() => ({ backend: store.backend, ok: false, durationS: (performance.now() - started) / 1000, riskBand }));
    throw err;
  }
}
