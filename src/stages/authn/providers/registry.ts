import type { ProviderDefinition } from '../provider.js';
import { ApiKeyProviderSchema, createApiKeyProvider, type ApiKeyProviderConfig } from './api-key/index.js';
import { httpSignatureProvider } from './http-signature/index.js';
import { introspectionProvider } from './introspection/index.js';
import { jwtProvider } from './jwt/index.js';
import { createMtlsProvider, MtlsProviderSchema, type MtlsProviderConfig } from './mtls/index.js';

const apiKeyProvider: ProviderDefinition<ApiKeyProviderConfig> = {
  kind: 'api-key', schema: ApiKeyProviderSchema, create: (config, deps) => createApiKeyProvider(deps.scheme, config, deps),
};
const mtlsProvider: ProviderDefinition<MtlsProviderConfig> = {
  kind: 'mtls', schema: MtlsProviderSchema, create: (config, deps) => createMtlsProvider(deps.scheme, config, deps),
};

/**
 * Every credential verifier the authn stage can be configured with, by `kind`. Adding a
 * kind: one entry here (its schema joins the `schemes` union of the stage schema).
 *
 * @example
 * PROVIDERS.find((p) => p.kind === 'jwt');
 */
export const PROVIDERS: readonly ProviderDefinition<never>[] = [jwtProvider, introspectionProvider, apiKeyProvider, mtlsProvider, httpSignatureProvider];

/** The definition of a provider kind; undefined when no such kind is registered. */
export function providerKind(kind: string): ProviderDefinition<never> | undefined {
  return PROVIDERS.find((p) => p.kind === kind);
}
