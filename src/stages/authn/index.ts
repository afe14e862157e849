import type { StageFactory, StageMeta } from '../../pipeline/stage.js';
import { AuthnSchema, type AuthnConfig } from './schema.js';
import { createAuthnStage } from './stage.js';

export const meta: StageMeta = {
  name: 'authn',
  phases: ['authenticate'],
  order: 300,
  status: 'experimental',
  posture: 'Verifies the credentials each operation\'s OpenAPI security requires (JWT per RFC 8725, introspection, API keys, mTLS); uniform 401/403, reasons only in security events.',
};

/** The authentication stage factory (configured under `stages.authn`). */
export const authn: StageFactory<AuthnConfig> = {
  meta,
  schema: AuthnSchema,
  create: (config, deps) => createAuthnStage(config, deps),
};
export { createAuthnStage } from './stage.js';
export { AuthnSchema, type AuthnConfig } from './schema.js';
export type { AuthProvider, VerifyResult, ProviderDefinition, ProviderDeps } from './provider.js';
export { PROVIDERS, providerKind } from './providers/registry.js';
export { revokeJti, revokeSubject, unrevokeJti, unrevokeSubject, isRevoked } from './revocation.js';
