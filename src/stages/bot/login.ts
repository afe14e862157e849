import type { KeyValueStore } from '../../store/store.js';
import { reachedStep, worse, type Step } from './ladder.js';

/** The four counters of one login attempt's client. */
export interface LoginKeys {
  readonly ip: string;
  readonly subnet: string;
  /** The account key (hashed by the request key); undefined when the request gave none. */
  readonly user: string | undefined;
}

/** The ladders of the login defence, compiled. */
export interface LoginLadders {
  readonly perIp: readonly Step[];
  readonly perSubnet: readonly Step[];
  readonly perUsername: readonly Step[];
  readonly distinctUsernamesPerIp: readonly Step[];
}

/** Counter values read for one attempt, and the step they reached. */
export interface LoginVerdict {
  readonly counts: { ip: number; subnet: number; user: number; distinct: number };
  readonly step: Step | undefined;
  /** Which counter decided (for the event's reason). */
  readonly reason: 'ip' | 'subnet' | 'username' | 'distinct-usernames' | undefined;
}

// Store keys; the account comes hashed (src/pipeline/request-key.ts), so neither a secret-looking
// value nor a long or separator-laden one reaches the store or its keys.
const k = {
  ip: (ip: string) => `bot:login:ip:${ip}`,
  subnet: (net: string) => `bot:login:net:${net}`,
  user: (user: string) => `bot:login:user:${user}`,
  pair: (ip: string, user: string) => `bot:login:ipu:${ip}:${user}`,
  distinct: (ip: string) => `bot:login:ipn:${ip}`,
};

const count = async (store: KeyValueStore, key: string): Promise<number> => Number(await store.get(key) ?? 0) || 0;

/**
 * Reads the counters of an attempt and the most severe step any of them reached.
 *
 * @example
 * const v = await loginVerdict(store, keys, ladders);
 * if (v.step?.action === 'block') reject403();
 */
export async function loginVerdict(store: KeyValueStore, keys: LoginKeys, ladders: LoginLadders): Promise<LoginVerdict> {
  const [ip, subnet, user, distinct] = await Promise.all([
    count(store, k.ip(keys.ip)), count(store, k.subnet(keys.subnet)),
    keys.user === undefined ? 0 : count(store, k.user(keys.user)), count(store, k.distinct(keys.ip)),
  ]);
  const candidates: [LoginVerdict['reason'], Step | undefined][] = [
    ['ip', reachedStep(ladders.perIp, ip)], ['subnet', reachedStep(ladders.perSubnet, subnet)],
    ['username', reachedStep(ladders.perUsername, user)], ['distinct-usernames', reachedStep(ladders.distinctUsernamesPerIp, distinct)],
  ];
  let step: Step | undefined;
  let reason: LoginVerdict['reason'];
  for (const [r, s] of candidates) {
    const w = worse(step, s);
    if (w !== step) { step = w; reason = r; }
  }
  return { counts: { ip, subnet, user, distinct }, step, reason };
}

/**
 * Counts one failed login: per IP, per subnet, per username, and the username as a distinct
 * one for this IP. Every key expires `windowMs` after its first failure, so the state is bounded in
 * time (Redis) and by the LRU (memory).
 *
 * @example
 * await recordLoginFailure(store, keys, 15 * 60_000);
 */
export async function recordLoginFailure(store: KeyValueStore, keys: LoginKeys, windowMs: number): Promise<void> {
  const ops: Promise<unknown>[] = [store.increment(k.ip(keys.ip), 1, windowMs), store.increment(k.subnet(keys.subnet), 1, windowMs)];
  if (keys.user !== undefined) {
    ops.push(store.increment(k.user(keys.user), 1, windowMs));
    const user = keys.user;
    ops.push(store.setIfAbsent(k.pair(keys.ip, user), '1', windowMs).then((fresh) => fresh ? store.increment(k.distinct(keys.ip), 1, windowMs) : undefined));
  }
  await Promise.all(ops);
}

/**
 * A successful login clears that username's failures (the owner got in); IP counters stay, so a
 * stuffing run that guesses one account right is still throttled.
 *
 * @example
 * await recordLoginSuccess(store, keys);
 */
export async function recordLoginSuccess(store: KeyValueStore, keys: LoginKeys): Promise<void> {
  if (keys.user !== undefined) await store.delete(k.user(keys.user));
}
