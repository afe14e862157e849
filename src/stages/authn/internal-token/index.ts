export { InternalTokenSchema, type InternalTokenConfig } from './schema.js';
export { internalTokenSigner, type InternalTokenSigner } from './signer.js';
export { internalTokenJwks } from './published-keys.js';
