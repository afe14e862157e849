import { createHash } from 'node:crypto';
import type { KeyValueStore } from '../../store/store.js';
import { reachedStep, worse, type Step } from './ladder.js';

/** The four counters of one login attempt's client. */
export interface LoginKeys {
  readonly ip: string;
  readonly subnet: string;
  /** Hash of the normalised username; undefined when the body gave none. */
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

// Store keys; the username is hashed so neither a secret-looking value nor a long or
// separator-laden one reaches the store or its keys.
const k = {
  ip: (ip: string) => `bot:login:ip:${ip}`,
  subnet: (net: string) => `bot:login:net:${net}`,
  user: (user: string) => `bot:login:user:${user}`,
  pair: (ip: string, user: string) => `bot:login:ipu:${ip}:${user}`,
  distinct: (ip: string) => `bot:login:ipn:${ip}`,
};

/**
 * A username as counted: NFKC, trimmed, lower-cased, then hashed (so `Alice` and ` alice` are one
 * account, and the key has a fixed length).
 *
 * @example
 * usernameKey(' Alice '); // same as usernameKey('alice')
 */
export function usernameKey(raw: string): string {
  return createHash('sha256').update(raw.normalize('NFKC').trim().toLowerCase()).digest('base64url').slice(0, 22);
}

/**
 * Reads the username from a request body: JSON by pointer, or a form field named by the pointer's
 * last segment. Undefined for anything else (a non-string, a missing field, an unparsable body).
 *
 * @example
 * usernameFrom(Buffer.from('{"user":{"name":"alice"}}'), 'application/json', '/user/name'); // 'alice'
 */
export function usernameFrom(body: Buffer | undefined, contentType: string | undefined, pointer: string): string | undefined {
  if (body === undefined || body.length === 0) return undefined;
  const segments = pointer.split('/').slice(1).map((s) => s.replaceAll('~1', '/').replaceAll('~0', '~'));
  const type = (contentType ?? '').toLowerCase();
  if (type.includes('application/x-www-form-urlencoded')) {
    const v = new URLSearchParams(body.toString('utf8')).get(segments.at(-1) ?? '');
    return v === null || v === '' ? undefined : v;
  }
  let value: unknown;
  try {
    value = JSON.parse(body.toString('utf8'));
  } catch {
    return undefined;
  }
  for (const s of segments) {
    if (value === null || typeof value !== 'object' || !Object.hasOwn(value, s)) return undefined;
    value = (value as Record<string, unknown>)[s];
  }
  return typeof value === 'string' && value !== '' ? value : undefined;
}

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
