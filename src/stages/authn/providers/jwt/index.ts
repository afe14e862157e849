import type { ProviderDefinition } from '../../provider.js';
import { createJwtProvider } from './provider.js';
import { JwtSchemeSchema, type JwtSchemeConfig } from './schema.js';

/** The `kind: jwt` provider definition. */
export const jwtProvider: ProviderDefinition<JwtSchemeConfig> = { kind: 'jwt', schema: JwtSchemeSchema, create: createJwtProvider };
export { createJwtProvider, type JwtProvider } from './provider.js';
export { JwtSchemeSchema, JwtIssuerSchema, type JwtSchemeConfig, type JwtIssuerConfig } from './schema.js';
export { RemoteJwks } from './remote-jwks.js';
export { decodeCompact, hasDuplicateMember } from './compact.js';
