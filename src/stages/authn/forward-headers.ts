import type { Principal } from '../../pipeline/context.js';
import type { ForwardConfig } from './schema.js';

const SAFE = /^[\x20-\x7e]*$/;
const MAX_VALUE = 4096;

/** Principal forwarding compiled: the headers always cleared, and how to fill them. */
export interface CompiledForward {
  /** Every header the stage controls, set to null (removed) before anything else. */
  readonly cleared: Readonly<Record<string, null>>;
  /** The header changes for an authenticated principal (cleared headers included); frozen, shared per principal object. */
  headersFor(principal: Principal): Readonly<Record<string, string | null>>;
}

/**
 * Compiles the forwarding config. Values are encoded so a claim can never inject a header
 * line: non-printable or non-ASCII values are percent-encoded, and long values dropped.
 *
 * @example
 * const fwd = compileForward(cfg.forward);
 * ctx.upstreamHeaders = { ...ctx.upstreamHeaders, ...fwd.headersFor(principal) };
 */
export function compileForward(cfg: ForwardConfig): CompiledForward {
  const h = cfg.headers;
  const pairs: [string, (p: Principal) => unknown][] = [];
  const add = (name: string, get: (p: Principal) => unknown) => { if (name !== '') pairs.push([name.toLowerCase(), get]); };
  add(h.subject, (p) => p.id);
  add(h.issuer, (p) => p.issuer);
  add(h.scopes, (p) => p.scopes.join(' '));
  add(h.roles, (p) => p.roles.join(','));
  add(h.clientId, (p) => p.clientId);
  add(h.kind, (p) => p.kind);
  for (const [name, claim] of Object.entries(cfg.claims)) add(name, (p) => p.claims[claim]);

  const cleared: Record<string, null> = {};
  for (const [name] of pairs) cleared[name] = null;
  for (const name of cfg.strip) cleared[name.toLowerCase()] = null;

  // A principal from the token cache is the same object on every request with that token: its
  // headers are encoded once. Weak keys: an evicted principal takes its headers with it.
  const byPrincipal = new WeakMap<Principal, Readonly<Record<string, string | null>>>();
  return {
    cleared: Object.freeze(cleared),
    headersFor(principal) {
      const known = byPrincipal.get(principal);
      if (known !== undefined) return known;
      const out: Record<string, string | null> = { ...cleared };
      for (const [name, get] of pairs) {
        const value = encode(get(principal));
        if (value !== undefined) out[name] = value;
      }
      if (!cfg.authorization) out.authorization = null;
      byPrincipal.set(principal, Object.freeze(out));
      return out;
    },
  };
}

function encode(value: unknown): string | undefined {
  let text: string;
  if (typeof value === 'string') text = value;
  else if (typeof value === 'number' || typeof value === 'boolean') text = String(value);
  else if (Array.isArray(value) && value.every((v) => typeof v === 'string' || typeof v === 'number')) text = value.join(',');
  else return undefined;
  if (text === '') return undefined;
  if (!SAFE.test(text)) text = encodeURIComponent(text);
  return text.length > MAX_VALUE ? undefined : text;
}
