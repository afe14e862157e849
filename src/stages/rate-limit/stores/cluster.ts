import type { ClusterStoreClient } from '../../../store/cluster.js';
import type { CheckRequest, CheckResult, RateLimitStore } from './store.js';

/** The operation name the cluster primary serves rate-limit checks under. */
export const CLUSTER_CHECK_OP = 'rl.check';

/**
 * Rate-limit checks of a `--workers` worker, evaluated by a memory store in the cluster primary:
 * an IPC round trip (shared by the checks of one loop turn), atomic because the primary is single-threaded. All workers of a
 * machine therefore share every limit, quota and penalty without Redis.
 *
 * @example
 * const store = new ClusterRateLimitStore(clusterClient);
 */
export class ClusterRateLimitStore implements RateLimitStore {
  readonly backend = 'cluster';
  readonly #client: ClusterStoreClient;

  constructor(client: ClusterStoreClient) {
    this.#client = client;
  }

  check(request: CheckRequest): Promise<CheckResult> {
    return this.#client.call<CheckResult>(CLUSTER_CHECK_OP, [request]);
  }

  /** The primary owns the state. */
  async close(): Promise<void> {}
}
