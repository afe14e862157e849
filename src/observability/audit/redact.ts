import { REDACTED } from '../logging/redact.js';

const SECRET_KEY = /(authorization|cookie|password|passwd|secret|token|api[-_]?key|credential|private[-_]?key|signature)/i;
const MAX_DEPTH = 6;
const MAX_KEYS = 64;
const MAX_STRING = 1024;

/**
 * Makes a detail object safe to store: values under secret-looking keys (and under
 * `extraKeys`, case-insensitive) become `[REDACTED]`, strings are cut to 1 KiB, objects to
 * 64 keys and 6 levels, and anything that is not JSON (functions, bigints, non-finite
 * numbers, errors) becomes a string or is dropped. The result always has canonical JSON.
 *
 * @example
 * redactDetail({ token: 'abc', path: '/v1' }); // { token: '[REDACTED]', path: '/v1' }
 */
export function redactDetail(detail: Readonly<Record<string, unknown>> | undefined, extraKeys: readonly string[] = []): Record<string, unknown> {
  const extra = new Set(extraKeys.map((k) => k.toLowerCase()));
  const secret = (k: string) => SECRET_KEY.test(k) || extra.has(k.toLowerCase());
  const walk = (v: unknown, depth: number): unknown => {
    if (v === null || typeof v === 'boolean') return v;
    if (typeof v === 'number') return Number.isFinite(v) ? v : String(v);
    if (typeof v === 'string') return v.length > MAX_STRING ? `${v.slice(0, MAX_STRING)}…` : v;
    if (typeof v === 'bigint') return v.toString();
    if (v instanceof Error) return walk(v.message, depth);
    if (typeof v !== 'object' || depth >= MAX_DEPTH) return undefined;
    if (Array.isArray(v)) return v.slice(0, MAX_KEYS).map((x) => walk(x, depth + 1) ?? null);
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v).slice(0, MAX_KEYS)) {
      const w = secret(k) ? REDACTED : walk(x, depth + 1);
      if (w !== undefined) out[k] = w;
    }
    return out;
  };
  return (walk(detail ?? {}, 0) ?? {}) as Record<string, unknown>;
}
