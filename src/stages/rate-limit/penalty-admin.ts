import type { KeyValueStore } from '../../store/store.js';
import { RedisStore } from '../../store/redis.js';
import { stateKey } from './stores/check.js';
import { MemoryRateLimitStore } from './stores/memory.js';
import { sharedRateLimitStores } from './shared.js';

/** One client's progressive-penalty state for one API. */
export interface PenaltyEntry {
  /** The client key the limits count (`ip.203.0.113.7`, `p.alice`, `k.<key id>`, `c.<thumbprint>`). */
  readonly scope: string;
  readonly api: string;
  readonly strikes: number;
  /** Epoch ms until which the client is blocked (in the past: not blocked, strikes still decaying). */
  readonly blockedUntil: number;
  readonly lastViolation: number;
}

// Keys as written by the stage: {<prefix>rl:<scope>}:<api>:penalty (scope and api never hold '}' or ':').
const KEY = /^\{(.*)rl:([^}]+)\}:([A-Za-z0-9_.-]+):penalty$/;
const SCAN_BUDGET = 10_000;

function entry(key: string, prefix: string, raw: readonly number[]): PenaltyEntry | undefined {
  const m = KEY.exec(key);
  if (m === null || m[1] !== prefix || raw.length !== 3) return undefined;
  return { scope: m[2]!, api: m[3]!, strikes: raw[0]!, blockedUntil: raw[1]!, lastViolation: raw[2]! };
}

/**
 * Lists penalty states (blocked or still carrying strikes), most recently violated first, at most
 * `limit`. With Redis it scans at most 10,000 keys of this gateway's prefix (SCAN, never KEYS).
 *
 * @example
 * await listPenalties(gateway.store, 100); // [{ scope: 'ip.203.0.113.7', api: 'books', strikes: 4, blockedUntil: … }]
 */
export async function listPenalties(store: KeyValueStore, limit: number): Promise<PenaltyEntry[]> {
  const out: PenaltyEntry[] = [];
  if (store instanceof RedisStore) {
    let cursor = '0';
    let seen = 0;
    do {
      const [next, keys] = await store.run((r) => r.scan(cursor, 'MATCH', `{${store.keyPrefix}rl:*}:*:penalty`, 'COUNT', 500));
      cursor = next;
      seen += 500;
      const values = keys.length === 0 ? [] : await store.run((r) => r.mget(...keys));
      keys.forEach((k, i) => {
        const e = values[i] == null ? undefined : entry(k, store.keyPrefix, values[i]!.split(' ').map(Number));
        if (e !== undefined) out.push(e);
      });
    } while (cursor !== '0' && seen < SCAN_BUDGET);
  } else {
    const { primary } = sharedRateLimitStores(store, 1000);
    if (primary instanceof MemoryRateLimitStore) {
      for (const [k, state] of primary.entries()) {
        const e = entry(k, '', state);
        if (e !== undefined) out.push(e);
      }
    }
  }
  return out.sort((a, b) => b.lastViolation - a.lastViolation).slice(0, limit);
}

/**
 * Lifts a client's penalty for one API (block and strikes); true when there was one.
 *
 * @example
 * await liftPenalty(gateway.store, 'ip.203.0.113.7', 'books');
 */
export async function liftPenalty(store: KeyValueStore, scope: string, api: string): Promise<boolean> {
  const id = `${api}:penalty`;
  if (store instanceof RedisStore) return (await store.run((r) => r.del(stateKey(store.keyPrefix, scope, id)))) > 0;
  const { primary } = sharedRateLimitStores(store, 1000);
  return primary instanceof MemoryRateLimitStore ? primary.delete(stateKey('', scope, id)) : false;
}
