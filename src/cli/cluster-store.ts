import type { Worker } from 'node:cluster';
import type { StoreConfig } from '../config/schema.js';
import { MemoryRateLimitStore } from '../stages/rate-limit/stores/memory.js';
import { CLUSTER_CHECK_OP } from '../stages/rate-limit/stores/cluster.js';
import type { CheckRequest } from '../stages/rate-limit/stores/store.js';
import { keyValueHandlers, serveClusterStore } from '../store/cluster.js';
import { MemoryStore } from '../store/memory.js';

/**
 * The store the cluster primary hosts for its workers when the backend is memory: one bounded
 * memory store and one rate-limit store, so the workers share limits as instances sharing Redis do.
 * Returns the function that connects a newly forked worker. State survives a worker restart (it
 * lives in the primary), not a restart of the primary.
 *
 * @example
 * const connect = hostClusterStore(loaded.config.store);
 * connect(cluster.fork());
 */
export function hostClusterStore(config: StoreConfig): (worker: Pick<Worker, 'on' | 'send' | 'isConnected'>) => void {
  const memory = new MemoryStore({ maxKeys: config.maxKeys });
  const limits = new MemoryRateLimitStore({ maxKeys: config.maxKeys });
  const handlers = { ...keyValueHandlers(memory), [CLUSTER_CHECK_OP]: (r: CheckRequest) => limits.check(r) };
  return (worker) => serveClusterStore(worker, handlers);
}
