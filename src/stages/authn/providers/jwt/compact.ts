/** A JWS compact token split and decoded, before any signature check. */
export interface DecodedToken {
  readonly header: Readonly<Record<string, unknown>>;
  readonly payload: Readonly<Record<string, unknown>>;
}

/** Why a token was refused before any key was looked up (a stable reason code). */
export type PrecheckFailure =
  | 'malformed' | 'signature_missing' | 'duplicate_member' | 'alg_none' | 'alg_not_allowed'
  | 'embedded_key' | 'crit_unsupported' | 'b64_unsupported' | 'bad_typ' | 'bad_kid' | 'unknown_issuer';

const SEGMENT = /^[A-Za-z0-9_-]+$/;
const SIGNATURE = /^[A-Za-z0-9_-]*$/;
/** Header parameters that carry or point to key material: keys never come from the token (RFC 8725 3.10). */
const KEY_HEADERS = ['jwk', 'jku', 'x5u', 'x5c'] as const;
const MAX_KID = 256;

/**
 * Splits and decodes a compact JWS without trusting anything in it, refusing what RFC 8725
 * rules out before a key is chosen: `alg: none` in any case, embedded or referenced keys,
 * `crit`, unencoded payloads (`b64`), duplicate members, malformed base64url or JSON.
 *
 * @example
 * const d = decodeCompact(token);
 * if (typeof d === 'string') return failed(d);
 */
export function decodeCompact(token: string): DecodedToken | PrecheckFailure {
  const parts = token.split('.');
  if (parts.length !== 3) return 'malformed';
  const [h, p, s] = parts as [string, string, string];
  if (!SEGMENT.test(h) || !SEGMENT.test(p) || !SIGNATURE.test(s) || h.length % 4 === 1 || p.length % 4 === 1) return 'malformed';
  if (s === '') return 'signature_missing';
  const header = decodeObject(h);
  const payload = decodeObject(p);
  if (header === 'malformed' || payload === 'malformed') return 'malformed';
  if (header === 'duplicate_member' || payload === 'duplicate_member') return 'duplicate_member';
  const alg = header.alg;
  if (typeof alg !== 'string') return 'malformed';
  if (alg.toLowerCase() === 'none') return 'alg_none';
  for (const name of KEY_HEADERS) if (name in header) return 'embedded_key';
  if ('crit' in header) return 'crit_unsupported';
  if ('b64' in header) return 'b64_unsupported';
  if ('kid' in header && (typeof header.kid !== 'string' || header.kid.length === 0 || header.kid.length > MAX_KID)) return 'bad_kid';
  return { header, payload };
}

function decodeObject(segment: string): Record<string, unknown> | 'malformed' | 'duplicate_member' {
  const text = Buffer.from(segment, 'base64url').toString('utf8');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return 'malformed';
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return 'malformed';
  return hasDuplicateMember(text) ? 'duplicate_member' : value as Record<string, unknown>;
}

/**
 * True when the top-level JSON object (already known to parse) repeats a member name.
 * JSON.parse keeps the last copy silently; another parser might keep the first, so such a
 * token means different things to different verifiers and is refused (RFC 7515 4).
 */
export function hasDuplicateMember(json: string): boolean {
  const seen = new Set<string>();
  let depth = 0;
  let expectKey = false;
  for (let i = 0; i < json.length; i++) {
    const c = json[i]!;
    if (c === '"') {
      const end = stringEnd(json, i);
      if (depth === 1 && expectKey) {
        const name = JSON.parse(json.slice(i, end + 1)) as string;
        if (seen.has(name)) return true;
        seen.add(name);
        expectKey = false;
      }
      i = end;
    } else if (c === '{' || c === '[') {
      depth += 1;
      if (depth === 1) expectKey = true;
    } else if (c === '}' || c === ']') {
      depth -= 1;
    } else if (c === ',' && depth === 1) {
      expectKey = true;
    }
  }
  return false;
}

function stringEnd(json: string, start: number): number {
  for (let i = start + 1; i < json.length; i++) {
    const c = json[i];
    if (c === '\\') i += 1;
    else if (c === '"') return i;
  }
  return json.length - 1;
}
