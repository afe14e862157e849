import type { TSchema } from '@sinclair/typebox';
import type { RequestContext, Principal } from '../../pipeline/context.js';
import type { StageDeps } from '../../pipeline/stage.js';

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

/** What a provider factory may use at compile time: the stage's deps plus the scheme it serves. */
export interface ProviderDeps extends StageDeps {
  /** The scheme name (key of components.securitySchemes and of `schemes` in config). */
  readonly scheme: string;
  /** The OpenAPI Security Scheme Object of that name, when the document declares it. */
  readonly securityScheme: Readonly<Record<string, unknown>> | undefined;
  /** The realm for `WWW-Authenticate` challenges (the API name unless configured). */
  readonly realm: string;
}

/**
 * A provider kind the authn stage can build: its config schema (a TypeBox object with a
 * literal `kind`) and a factory. Factories throw on config they cannot use; the error
 * becomes a config issue located at the stage.
 *
 * @example
 * const def: ProviderDefinition<JwtSchemeConfig> = { kind: 'jwt', schema: JwtSchemeSchema, create: createJwtProvider };
 */
export interface ProviderDefinition<C = never> {
  readonly kind: string;
  readonly schema: TSchema;
  create(config: C, deps: ProviderDeps): AuthProvider;
}
