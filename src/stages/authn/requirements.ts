import type { AuthProvider } from './provider.js';

/** One scheme of a combination, with the scopes the operation requires of it. */
export interface RequiredScheme {
  readonly provider: AuthProvider;
  readonly scopes: readonly string[];
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
export function compileSecurity(requirements: readonly unknown[] | undefined, provider: (scheme: string) => AuthProvider | undefined, where: string): CompiledSecurity {
  if (requirements === undefined || requirements.length === 0) return undefined;
  return requirements.map((req, i) => {
    if (req === null || typeof req !== 'object' || Array.isArray(req)) throw new Error(`${where}: security[${i}] must be a mapping of scheme names to scope lists`);
    return Object.entries(req as Record<string, unknown>).map(([scheme, scopes]) => {
      if (!Array.isArray(scopes) || !scopes.every((s) => typeof s === 'string')) throw new Error(`${where}: security[${i}].${scheme} must be a list of scopes`);
      const p = provider(scheme);
      if (p === undefined) throw new Error(`${where}: security scheme "${scheme}" has no verifier; add it under stages.authn.schemes (kind: jwt, introspection, api-key, mtls or http-signature)`);
      return { provider: p, scopes: scopes as string[] };
    });
  });
}
