import { Type, type Static } from '@sinclair/typebox';

export const SignatureAlgorithmSchema = Type.Union([
  Type.Literal('ed25519'), Type.Literal('ecdsa-p256-sha256'), Type.Literal('rsa-pss-sha512'), Type.Literal('hmac-sha256'),
], { description: 'RFC 9421 algorithm. Always taken from this config, never from the request (an `alg` parameter must agree).' });

/** A client key: the `keyid` a signature names, its algorithm and key material, and the identity it proves. */
export const SignatureKeySchema = Type.Object({
  keyid: Type.String({ minLength: 1, maxLength: 256 }),
  alg: SignatureAlgorithmSchema,
  publicKey: Type.Optional(Type.String({ minLength: 1, description: 'PEM public key (ed25519, ecdsa-p256-sha256, rsa-pss-sha512); ${file:...} works.' })),
  secret: Type.Optional(Type.String({ minLength: 1, description: 'base64 shared secret for hmac-sha256 (at least 32 bytes); use ${ENV}.' })),
  clientId: Type.String({ minLength: 1, description: 'The principal id a valid signature proves.' }),
  scopes: Type.Array(Type.String(), { default: [] }),
  roles: Type.Array(Type.String(), { default: [] }),
}, { additionalProperties: false });

/** Config of one HTTP Message Signatures scheme (`kind: http-signature`, RFC 9421). */
export const HttpSignatureProviderSchema = Type.Object({
  kind: Type.Literal('http-signature'),
  keys: Type.Array(SignatureKeySchema, { minItems: 1 }),
  requiredComponents: Type.Array(Type.String(), { default: [], description: 'Components every signature must cover besides the built-in minimum (@method; @target-uri or @authority+@path (+@query when there is one); content-digest when there is a body).' }),
  requireContentDigest: Type.Boolean({ default: true, description: 'A request with a body must sign content-digest, and the body must match it (RFC 9530).' }),
  maxAgeSeconds: Type.Integer({ minimum: 1, default: 300, description: '`created` may be at most this old.' }),
  clockSkewSeconds: Type.Integer({ minimum: 0, default: 5, description: 'Tolerance for `created` in the future and `expires` in the past.' }),
  requireNonce: Type.Boolean({ default: false, description: 'Refuse signatures without a `nonce`. Nonces are remembered (store) for maxAge and a replay fails.' }),
  tag: Type.Optional(Type.String({ description: 'When set, only signatures with this `tag` parameter are considered.' })),
  realm: Type.Optional(Type.String({ pattern: '^[\\x20-\\x21\\x23-\\x5b\\x5d-\\x7e]*$', maxLength: 128, description: 'Realm named in the WWW-Authenticate challenge. Default: the authn stage realm.' })),
}, { additionalProperties: false });

export type HttpSignatureProviderConfig = Static<typeof HttpSignatureProviderSchema>;
export type SignatureKeyConfig = Static<typeof SignatureKeySchema>;
export type SignatureAlgorithm = Static<typeof SignatureAlgorithmSchema>;
