import type { LoadedConfig } from './load.js';
import { renderPath, type PathSegment } from './path.js';

/** What a redacted value is replaced with. */
export const REDACTED = '[REDACTED]';

/** Key names that suggest a secret, wherever they appear. */
const SECRET_KEY = /secret|passw(or)?d|token|credential|pepper|private-?key|keys?$/i;
/** Keys that name a location or a header, not a secret (`tokenFile`, `apiKeyHeader`, `tokenUrl`). */
const REFERENCE_KEY = /(File|Path|Dir|Url|Header|Headers)$/;
/** Mappings whose keys are names chosen by the operator (stage names, operationIds), not settings. */
const NAME_MAPS = new Set(['stages', 'operations']);
/** Schema fields that hold a file path although their name looks secret. */
const PATH_FIELDS = new Set(['server.tls.key']);

function isSecretKey(key: string, parentKey: PathSegment | undefined, path: string): boolean {
  if (typeof parentKey === 'string' && NAME_MAPS.has(parentKey)) return false;
  if (PATH_FIELDS.has(path) || REFERENCE_KEY.test(key)) return false;
  return SECRET_KEY.test(key);
}

function redact(value: unknown, path: PathSegment[], secretPaths: ReadonlySet<string>): unknown {
  if (path.length > 0 && secretPaths.has(renderPath(path))) return REDACTED;
  if (Array.isArray(value)) return value.map((item, i) => redact(item, [...path, i], secretPaths));
  if (value === null || typeof value !== 'object') return value;
  // fromEntries defines own properties, so a "__proto__" key in a stage config stays a plain key.
  return Object.fromEntries(Object.entries(value).map(([key, child]) => {
    const childPath = [...path, key];
    const secret = isSecretKey(key, path.at(-1), renderPath(childPath));
    return [key, secret ? REDACTED : redact(child, childPath, secretPaths)];
  }));
}

/**
 * A copy of the config safe to show (admin API config summary): every value
 * that came from `${...}` interpolation, and every value under a key that looks
 * secret (`secret`, `password`, `token`, `credential`, `pepper`, `privateKey`,
 * names ending in `key`/`keys`), becomes `"[REDACTED]"` whatever its type.
 * Not redacted: keys naming a reference rather than a secret (ending in
 * File, Path, Dir, Url, Header, Headers), `server.tls.key` (a file path), and the
 * operator-chosen names in `stages` and `operations` maps (their contents still are).
 *
 * @example
 * const summary = redactConfig(loaded); // { apis: [{ stages: { jwt: { secret: '[REDACTED]' } } }] }
 */
export function redactConfig(loaded: Pick<LoadedConfig, 'config' | 'secretPaths'>): unknown {
  return redact(loaded.config, [], loaded.secretPaths);
}
