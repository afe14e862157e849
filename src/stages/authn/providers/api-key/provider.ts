import { timingSafeEqual } from 'node:crypto';
import { resolve } from 'node:path';
import type { RequestContext } from '../../../../pipeline/context.js';
import type { StageDeps } from '../../../../pipeline/stage.js';
import type { AuthProvider, VerifyResult } from '../../provider.js';
import { KEY_PREFIX, parseApiKey, secretDigest, type ParsedKey } from './key-format.js';
import { compileKeys, parseKeysFile, type CompiledKey } from './keys-file.js';
import { WatchedFile } from './watched-file.js';
import type { ApiKeyProviderConfig } from './schema.js';

/** Store key marking an API key id revoked (any value); shared by every instance via the store. */
export function apiKeyRevocationKey(id: string): string {
  return `revoked:apikey:${id}`;
}

// Compared against when the id is unknown (or its stored hash unusable), so every path does the same work.
const DUMMY_HASH = Buffer.alloc(32);

/** Options for tests: an injected clock. */
export interface ApiKeyProviderOptions {
  readonly now?: () => number;
}

/**
 * Builds the API-key verifier of one security scheme. The keys file is loaded now (a bad
 * file fails the config load) and re-read when it changes.
 *
 * @example
 * const p = createApiKeyProvider('apiKey', { kind: 'api-key', file: 'keys.yaml', pepper, ... }, deps);
 * const r = await p.verify(ctx); // { kind: 'ok', principal: { id: 'billing', kind: 'api-key', ... } }
 */
export function createApiKeyProvider(scheme: string, config: ApiKeyProviderConfig, deps: StageDeps & { readonly realm?: string }, opts: ApiKeyProviderOptions = {}): AuthProvider {
  const now = opts.now ?? Date.now;
  const keys = new WatchedFile(resolve(deps.baseDir, config.file), (text) => compileKeys(parseKeysFile(text)), config.reloadCheckMs, now);
  const header = config.header.toLowerCase();
  const queryParams = new Set(config.queryParams);
  const failed = (reason: string): VerifyResult => ({ kind: 'failed', reason, scheme });

  // Synchronous when the keys file needs no check and the store is in process (ADR 0027).
  const verify = (ctx: RequestContext): VerifyResult | Promise<VerifyResult> => {
    const found = extract(ctx, header, config.authorizationScheme, queryParams);
    if (found.kind === 'none') return { kind: 'absent' };
    if (found.kind === 'ambiguous') return failed('ambiguous_credentials');
    if (found.fromQuery && !config.allowQuery) return failed('key_in_query');
    const parsed = parseApiKey(found.key);
    if (parsed === undefined) return failed('malformed');
    const current = keys.fresh();
    return current !== undefined ? check(ctx, parsed, current) : keys.current().then((c) => check(ctx, parsed, c));
  };

  const check = (ctx: RequestContext, parsed: ParsedKey, current: Map<string, CompiledKey>): VerifyResult | Promise<VerifyResult> => {
    const key = current.get(parsed.id);
    // Both sides are 32 digest bytes, so the comparison needs no second HMAC to equalise lengths.
    const stored = key?.hashBytes;
    const matches = timingSafeEqual(secretDigest(config.pepper, parsed.secret), stored ?? DUMMY_HASH) && stored !== undefined;
    if (key === undefined) return failed('unknown_key');
    if (!matches) return failed('bad_secret');
    const { entry } = key;
    if (entry.revoked) return failed('revoked');
    if (key.expiresAtMs !== undefined && now() >= key.expiresAtMs) return failed('expired');
    if (key.cidrs !== undefined && !key.cidrs.has(ctx.client.ip)) return failed('cidr_not_allowed');
    const claims: Record<string, unknown> = { keyId: entry.id };
    if (entry.tier !== undefined) claims.tier = entry.tier;
    const answer = (revoked: string | undefined): VerifyResult => (revoked !== undefined ? failed('revoked') : {
      kind: 'ok',
      principal: { id: entry.clientId, kind: 'api-key', scopes: entry.scopes, roles: entry.roles, claims, clientId: entry.clientId },
    });
    const revocation = apiKeyRevocationKey(entry.id);
    const peek = deps.store.peek;
    return peek !== undefined ? answer(peek(revocation)) : deps.store.get(revocation).then(answer);
  };

  return { scheme, kind: 'api-key', challenge: `ApiKey realm="${config.realm ?? deps.realm ?? 'portcullis'}"`, verify };
}

type Extracted = { kind: 'none' } | { kind: 'ambiguous' } | { kind: 'key'; key: string; fromQuery: boolean };

/**
 * Finds the key in the header, `Authorization: ApiKey` and the query. Two different
 * places (or a repeated header) are refused rather than guessed between.
 */
function extract(ctx: RequestContext, header: string, authScheme: boolean, queryParams: ReadonlySet<string>): Extracted {
  const found: { key: string; fromQuery: boolean }[] = [];
  const h = ctx.headers[header];
  if (Array.isArray(h)) return { kind: 'ambiguous' };
  // Node joins a repeated header into "k1, k2"; a comma never occurs in a key.
  if (typeof h === 'string' && h.includes(',')) return { kind: 'ambiguous' };
  if (typeof h === 'string') found.push({ key: h.trim(), fromQuery: false });
  if (authScheme) {
    const auth = ctx.headers.authorization;
    if (typeof auth === 'string' && /^apikey /i.test(auth)) found.push({ key: auth.slice(7).trim(), fromQuery: false });
  }
  if (ctx.query.includes(KEY_PREFIX)) {
    for (const [name, value] of new URLSearchParams(ctx.query)) {
      // Only values shaped like our keys: `?key=` is a common innocent parameter name.
      if (queryParams.has(name.toLowerCase()) && value.startsWith(KEY_PREFIX)) found.push({ key: value, fromQuery: true });
    }
  }
  if (found.length === 0) return { kind: 'none' };
  if (found.length > 1) return { kind: 'ambiguous' };
  return { kind: 'key', ...found[0]! };
}
