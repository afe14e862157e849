import type { ProviderDefinition } from '../../provider.js';
import { createHttpSignatureProvider } from './provider.js';
import { HttpSignatureProviderSchema, type HttpSignatureProviderConfig } from './schema.js';

/**
 * The registry entry of `kind: http-signature`. Its providers are `BodyBoundAuthProvider`s:
 * the authn stage must set `needsRequestBody` and call `verifyBody` in `inspect`.
 *
 * @example
 * export const PROVIDERS = [jwtProvider, ..., httpSignatureProvider];
 */
export const httpSignatureProvider: ProviderDefinition<HttpSignatureProviderConfig> = {
  kind: 'http-signature',
  schema: HttpSignatureProviderSchema,
  create: (config, deps) => createHttpSignatureProvider(deps.scheme, config, deps),
};
