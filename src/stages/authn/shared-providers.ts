import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import { publishSecurityEvent } from '../../observability/channels.js';
import type { KeyValueStore } from '../../store/store.js';
import type { AuthProvider } from './provider.js';

const MAX_PER_STORE = 512;
const byStore = new WeakMap<KeyValueStore, Map<string, AuthProvider>>();
const stampsByStore = new WeakMap<KeyValueStore, Map<string, string>>();

/**
 * Returns the provider built for an identical scheme config before, else builds one. Plans
 * are compiled per operation, but one scheme must have one JWKS cache, one token cache and
 * one introspection cache for all of them; reloads with an unchanged scheme keep those caches
 * warm. The key includes the modification time of any key file the config names, so a
 * changed file gives a fresh provider on reload.
 *
 * @example
 * const p = sharedProvider(store, 'books', 'bearerAuth', cfg, baseDir, () => createJwtProvider(cfg, deps));
 */
export function sharedProvider(store: KeyValueStore, api: string, scheme: string, config: unknown, baseDir: string, build: () => AuthProvider): AuthProvider {
  let cache = byStore.get(store);
  if (cache === undefined) {
    cache = new Map();
    byStore.set(store, cache);
  }
  const stamps = fileStamps(config, baseDir);
  noteKeyFileChange(store, api, scheme, stamps);
  const key = `${api}\u0000${scheme}\u0000${baseDir}\u0000${JSON.stringify(config)}\u0000${stamps}`;
  const hit = cache.get(key);
  if (hit !== undefined) return hit;
  const built = build();
  if (cache.size >= MAX_PER_STORE) {
    const oldest = cache.keys().next().value;
    if (oldest !== undefined) cache.delete(oldest);
  }
  cache.set(key, built);
  return built;
}

function fileStamps(config: unknown, baseDir: string): string {
  const stamps: string[] = [];
  const walk = (v: unknown, depth: number): void => {
    if (depth > 6 || v === null || typeof v !== 'object') return;
    for (const [k, x] of Object.entries(v)) {
      if (typeof x === 'string' && /(?:^f|F)ile$/.test(k)) {
        try {
          stamps.push(String(statSync(resolve(baseDir, x)).mtimeMs));
        } catch {
          stamps.push('missing');
        }
      } else {
        walk(x, depth + 1);
      }
    }
  };
  walk(config, 0);
  return stamps.join(',');
}

/** Publishes `key.change` when a scheme's key file changed since the last compile (seen on reload). */
function noteKeyFileChange(store: KeyValueStore, api: string, scheme: string, stamps: string): void {
  if (stamps === '') return;
  let seen = stampsByStore.get(store);
  if (seen === undefined) { seen = new Map(); stampsByStore.set(store, seen); }
  const id = `${api}\u0000${scheme}`;
  const before = seen.get(id);
  seen.set(id, stamps);
  if (before === undefined || before === stamps) return;
  publishSecurityEvent(() => ({
    kind: 'key.change', reason: 'key_file', requestId: '', api, operationId: undefined, client: '', scheme, severity: 'medium', stage: 'authn',
  }));
}
