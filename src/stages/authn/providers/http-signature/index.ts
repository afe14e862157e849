export { createHttpSignatureProvider, nonceKey, type BodyBoundAuthProvider, type HttpSignatureProviderOptions } from './provider.js';
export { HttpSignatureProviderSchema, SignatureKeySchema, SignatureAlgorithmSchema, type HttpSignatureProviderConfig, type SignatureKeyConfig, type SignatureAlgorithm } from './schema.js';
export { checkContentDigest } from './content-digest.js';
export { signatureBase, componentValue } from './signature-base.js';
export { parseDictionary } from './structured-fields.js';
export { httpSignatureProvider } from './definition.js';
