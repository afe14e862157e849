import { PortcullisError } from '../../errors/index.js';

/** A caller the scan acts as: `--as NAME:CREDENTIAL`. */
export interface Identity {
  readonly name: string;
  /** Header carrying the credential (lower case), `authorization` for tokens. */
  readonly header: string;
  readonly value: string;
  /** Identities named in `--admin` (default: named admin or root). */
  readonly admin: boolean;
  /** The token's parts when the credential is a bearer JWT. */
  readonly jwt?: { readonly header: Record<string, unknown>; readonly payload: Record<string, unknown>; readonly parts: readonly [string, string, string] };
}

const HEADER_FORM = /^([A-Za-z0-9-]+):\s*(.+)$/;

/**
 * Parses `--as` values: `alice:eyJ…` (a bearer token), `alice:Bearer eyJ…`, or
 * `svc:X-Api-Key: k_123` (any header).
 *
 * @example
 * parseIdentity('alice:Bearer abc', new Set()).header; // 'authorization'
 */
export function parseIdentity(spec: string, admins: ReadonlySet<string>): Identity {
  const colon = spec.indexOf(':');
  if (colon <= 0 || colon === spec.length - 1) throw new PortcullisError('PCL_ERR_SCAN_SCOPE', `--as must be NAME:CREDENTIAL (e.g. alice:eyJ… or svc:X-Api-Key: k), not "${spec.slice(0, 20)}…"`);
  const name = spec.slice(0, colon);
  if (!/^[A-Za-z0-9_.-]{1,40}$/.test(name)) throw new PortcullisError('PCL_ERR_SCAN_SCOPE', `--as name "${name}" must be letters, digits, . _ or -`);
  const credential = spec.slice(colon + 1).trim();
  const headerForm = HEADER_FORM.exec(credential);
  const isAdmin = admins.size > 0 ? admins.has(name) : name === 'admin' || name === 'root';
  if (headerForm !== null && !/^bearer$/i.test(headerForm[1]!)) {
    return { name, header: headerForm[1]!.toLowerCase(), value: headerForm[2]!, admin: isAdmin };
  }
  const token = credential.replace(/^Bearer\s+/i, '');
  return { name, header: 'authorization', value: `Bearer ${token}`, admin: isAdmin, ...decodeJwt(token) };
}

function decodeJwt(token: string): { jwt?: Identity['jwt'] } {
  const parts = token.split('.');
  if (parts.length !== 3) return {};
  try {
    const header = JSON.parse(Buffer.from(parts[0]!, 'base64url').toString('utf8')) as unknown;
    const payload = JSON.parse(Buffer.from(parts[1]!, 'base64url').toString('utf8')) as unknown;
    if (typeof header !== 'object' || header === null || typeof payload !== 'object' || payload === null) return {};
    return { jwt: { header: header as Record<string, unknown>, payload: payload as Record<string, unknown>, parts: parts as [string, string, string] } };
  } catch {
    return {};
  }
}

/** The identity's subject (JWT `sub`), if known. */
export function subjectOf(identity: Identity): string | undefined {
  const sub = identity.jwt?.payload.sub;
  return typeof sub === 'string' ? sub : undefined;
}

/** A forged JWT: this header and payload with the signature given (which no longer matches). */
export function forge(header: Record<string, unknown>, payload: Record<string, unknown>, signature: string): string {
  const enc = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
  return `${enc(header)}.${enc(payload)}.${signature}`;
}
