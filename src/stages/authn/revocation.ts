import type { KeyValueStore } from '../../store/store.js';

/** How long a revocation is kept when the caller gives no TTL: 30 days. */
const DEFAULT_TTL_MS = 30 * 24 * 3600 * 1000;

/** Store key of a revoked token id. */
export function jtiKey(jti: string): string { return `revoked:jti:${jti}`; }
/** Store key of a revoked subject of one issuer. */
export function subjectKey(issuer: string, subject: string): string { return `revoked:sub:${issuer}:${subject}`; }

/**
 * Revokes one token by its `jti`. Keep it at least as long as the token lives.
 *
 * @example
 * await revokeJti(store, '3f1c...', 3600_000);
 */
export async function revokeJti(store: KeyValueStore, jti: string, ttlMs = DEFAULT_TTL_MS): Promise<void> {
  await store.set(jtiKey(jti), String(Date.now()), ttlMs);
}

/**
 * Revokes every token of `subject` issued by `issuer`.
 *
 * @example
 * await revokeSubject(store, 'https://idp.example', 'user-42');
 */
export async function revokeSubject(store: KeyValueStore, issuer: string, subject: string, ttlMs = DEFAULT_TTL_MS): Promise<void> {
  await store.set(subjectKey(issuer, subject), String(Date.now()), ttlMs);
}

/** Lifts a revocation by `jti`. */
export async function unrevokeJti(store: KeyValueStore, jti: string): Promise<void> { await store.delete(jtiKey(jti)); }
/** Lifts a revocation of a subject. */
export async function unrevokeSubject(store: KeyValueStore, issuer: string, subject: string): Promise<void> { await store.delete(subjectKey(issuer, subject)); }

/**
 * True when the token's `jti` or its subject is revoked. Checked on every request, cached
 * verification or not, so a revocation takes effect at once on every instance sharing the store.
 *
 * @example
 * if (await isRevoked(store, { jti, issuer, subject })) return failed('revoked');
 */
export function isRevoked(store: KeyValueStore, t: { jti?: string | undefined; issuer?: string | undefined; subject?: string | undefined }): boolean | Promise<boolean> {
  const peek = store.peek;
  if (peek !== undefined) {
    // An in-process store answers at once: no promise on the request path.
    return (t.jti !== undefined && peek(jtiKey(t.jti)) !== undefined)
      || (t.issuer !== undefined && t.subject !== undefined && peek(subjectKey(t.issuer, t.subject)) !== undefined);
  }
  return isRevokedAsync(store, t);
}

async function isRevokedAsync(store: KeyValueStore, t: { jti?: string | undefined; issuer?: string | undefined; subject?: string | undefined }): Promise<boolean> {
  const [byJti, bySub] = await Promise.all([
    t.jti === undefined ? undefined : store.get(jtiKey(t.jti)),
    t.issuer === undefined || t.subject === undefined ? undefined : store.get(subjectKey(t.issuer, t.subject)),
  ]);
  return byJti !== undefined || bySub !== undefined;
}
