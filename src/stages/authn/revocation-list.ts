import type { KeyValueStore } from '../../store/store.js';
import { apiKeyRevocationKey } from './providers/api-key/index.js';
import { jtiKey, subjectKey } from './revocation.js';

/** What can be revoked: one token (`jti`), every token of a subject of one issuer, or one API key id. */
export interface RevocationTarget {
  readonly kind: 'jti' | 'subject' | 'api-key';
  readonly value: string;
  /** With (and only with) `kind: subject`. */
  readonly issuer?: string | undefined;
}

/** A revocation as listed: its target and when it was made and ends. */
export interface RevocationEntry extends RevocationTarget {
  readonly revokedAt: string;
  readonly expiresAt?: string;
}

/** How long a jti/subject revocation is kept without an explicit TTL: 30 days. API keys: until lifted. */
export const DEFAULT_REVOCATION_TTL_MS = 30 * 24 * 3600 * 1000;
/** How many of the most recent revocations a listing looks at. */
export const LIST_WINDOW = 5000;

const SEQ_KEY = 'revoked:log:seq';
const logKey = (n: number) => `revoked:log:${n}`;

/** The store key that makes a target revoked (what the verifiers check on every request). */
export function revocationKey(t: RevocationTarget): string {
  if (t.kind === 'jti') return jtiKey(t.value);
  if (t.kind === 'subject') return subjectKey(t.issuer ?? '', t.value);
  return apiKeyRevocationKey(t.value);
}

/**
 * Revokes a target and records it for listing. The store has no key scan, so the record goes
 * to a numbered log (`revoked:log:<n>`, n from an atomic counter): concurrent admin calls on
 * several instances never overwrite each other's records, and each record expires with the
 * revocation it describes.
 *
 * @example
 * await revoke(store, { kind: 'jti', value: 'a1b2' }, 3_600_000);
 */
export async function revoke(store: KeyValueStore, t: RevocationTarget, ttlMs?: number): Promise<RevocationEntry> {
  const ttl = ttlMs ?? (t.kind === 'api-key' ? 0 : DEFAULT_REVOCATION_TTL_MS);
  const now = Date.now();
  await store.set(revocationKey(t), String(now), ttl);
  const entry: RevocationEntry = {
    kind: t.kind, value: t.value, ...(t.issuer === undefined ? {} : { issuer: t.issuer }),
    revokedAt: new Date(now).toISOString(), ...(ttl === 0 ? {} : { expiresAt: new Date(now + ttl).toISOString() }),
  };
  const { value: n } = await store.increment(SEQ_KEY, 1, 0);
  await store.set(logKey(n), JSON.stringify(entry), ttl);
  return entry;
}

/**
 * Lifts a revocation. True when the target was revoked. Its log record stays but is no longer
 * listed, since listing checks the revocation itself.
 *
 * @example
 * await unrevoke(store, { kind: 'subject', value: 'alice', issuer: 'https://idp.example' });
 */
export async function unrevoke(store: KeyValueStore, t: RevocationTarget): Promise<boolean> {
  const key = revocationKey(t);
  const was = await store.get(key);
  await store.delete(key);
  return was !== undefined;
}

/**
 * The revocations in force among the last {@link LIST_WINDOW} made, newest first, one entry
 * per target. A record is listed only while the revocation it describes is still in the store.
 *
 * @example
 * for (const r of await listRevocations(store)) console.log(r.kind, r.value);
 */
export async function listRevocations(store: KeyValueStore): Promise<RevocationEntry[]> {
  const seq = Number(await store.get(SEQ_KEY) ?? 0);
  const out: RevocationEntry[] = [];
  const seen = new Set<string>();
  const BATCH = 100;
  for (let hi = seq; hi > 0 && hi > seq - LIST_WINDOW; hi -= BATCH) {
    const ns = Array.from({ length: Math.min(BATCH, hi) }, (_, i) => hi - i);
    const records = await Promise.all(ns.map((n) => store.get(logKey(n))));
    for (const text of records) {
      if (text === undefined) continue;
      const entry = parseEntry(text);
      if (entry === undefined) continue;
      const key = revocationKey(entry);
      if (seen.has(key)) continue;
      seen.add(key);
      // Lifted (or re-revoked later and already listed): the revocation key decides, not the log.
      if (await store.get(key) !== undefined) out.push(entry);
    }
  }
  return out;
}

function parseEntry(text: string): RevocationEntry | undefined {
  try {
    const e = JSON.parse(text) as RevocationEntry;
    return typeof e.kind === 'string' && typeof e.value === 'string' ? e : undefined;
  } catch {
    return undefined;
  }
}
