import type { RequestContext, Principal } from '../../pipeline/context.js';

/**
 * What a credential verifier concluded about one request.
 * - `absent`: this kind of credential is not on the request (another alternative may apply).
 * - `failed`: a credential was present but is not acceptable. `reason` is a stable internal
 *   code for events and logs only (`expired`, `bad_signature`, `unknown_kid`, ...); clients
 *   always get the same generic 401 so there is no oracle.
 * - `ok`: the principal it proves.
 */
export type VerifyResult =
  | { readonly kind: 'absent' }
  | { readonly kind: 'failed'; readonly reason: string; readonly scheme: string }
  | { readonly kind: 'ok'; readonly principal: Principal };

/**
 * A compiled verifier for one configured credential method (an OpenAPI security scheme
 * mapped in config to a concrete provider). Built once per config load; `verify` only reads
 * what was compiled (keys, caches) and the request.
 *
 * @example
 * const r = await provider.verify(ctx);
 * if (r.kind === 'ok') ctx.principal = r.principal;
 */
export interface AuthProvider {
  /** The security scheme name this provider serves (key of components.securitySchemes). */
  readonly scheme: string;
  /** Provider kind: jwt, introspection, api-key, mtls, http-signature, basic. */
  readonly kind: string;
  /** The `WWW-Authenticate` challenge sent on 401 (e.g. `Bearer realm="api"`). */
  readonly challenge: string;
  verify(ctx: RequestContext): Promise<VerifyResult> | VerifyResult;
  /** Releases timers and connections (JWKS refresh, introspection pools). */
  close?(): Promise<void>;
}
