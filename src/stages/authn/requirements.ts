import type { Principal } from '../../pipeline/context.js';
import type { AuthProvider } from './provider.js';

/** One scheme of a combination, with the values (scopes, roles, ...) the operation requires of it. */
export interface RequiredScheme {
  readonly provider: AuthProvider;
  readonly scopes: readonly string[];
  /** The required values the principal lacks (none: satisfied), looked up where the scheme's `requirementsFrom` says. */
  missing(principal: Principal): readonly string[];
}

/**
 * Compiles a scheme's `requirementsFrom` into the function giving the values a principal holds.
 *
 * @example
 * grantsOf(['scopes', 'claim:role'])({ scopes: ['read'], claims: { role: 'admin' }, ... }); // ['read', 'admin']
 */
export function grantsOf(from: readonly string[] = ['scopes']): (p: Principal) => readonly string[] {
  const getters = from.map((f): ((p: Principal) => readonly string[]) => {
    if (f === 'scopes') return (p) => p.scopes;
    if (f === 'roles') return (p) => p.roles;
    const claim = f.slice('claim:'.length);
    return (p) => valuesOf(p.claims[claim]);
  });
  if (getters.length === 1) return getters[0]!;
  return (p) => getters.flatMap((g) => g(p));
}

/** A claim as a list of values: a list of strings, or a space-separated string (`scope` style). */
function valuesOf(v: unknown): readonly string[] {
  if (typeof v === 'string') return v.split(' ').filter((x) => x !== '');
  if (Array.isArray(v)) return v.filter((x): x is string => typeof x === 'string');
  return [];
}

/**
 * Compiled OpenAPI security: alternatives, any one of which suffices; each a combination
 * whose schemes must all pass. An empty combination (`{}`) admits anonymous requests.
 * `undefined` means the operation is public.
 */
export type CompiledSecurity = readonly (readonly RequiredScheme[])[] | undefined;

/**
 * Resolves Security Requirement Objects against the configured providers. Throws (a config
 * error) when a requirement is malformed or names a scheme without a configured provider.
 *
 * @example
 * compileSecurity([{ bearerAuth: ['books:read'] }], (name) => providers.get(name), 'listBooks');
 */
export function compileSecurity(requirements: readonly unknown[] | undefined, provider: (scheme: string) => AuthProvider | undefined, where: string, grants: (scheme: string) => (p: Principal) => readonly string[] = () => grantsOf()): CompiledSecurity {
  if (requirements === undefined || requirements.length === 0) return undefined;
  return requirements.map((req, i) => {
    if (req === null || typeof req !== 'object' || Array.isArray(req)) throw new Error(`${where}: security[${i}] must be a mapping of scheme names to scope lists`);
    return Object.entries(req as Record<string, unknown>).map(([scheme, scopes]) => {
      if (!Array.isArray(scopes) || !scopes.every((s) => typeof s === 'string')) throw new Error(`${where}: security[${i}].${scheme} must be a list of scopes`);
      const p = provider(scheme);
      if (p === undefined) throw new Error(`${where}: security scheme "${scheme}" has no verifier; add it under stages.authn.schemes (kind: jwt, introspection, api-key, mtls or http-signature)`);
      const required = scopes as string[];
      const held = grants(scheme);
      return { provider: p, scopes: required, missing: (principal: Principal) => { const has = held(principal); return required.filter((s) => !has.includes(s)); } };
    });
  });
}
