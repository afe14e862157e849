import { constants, createHmac, createPublicKey, timingSafeEqual, verify as cryptoVerify, type KeyObject } from 'node:crypto';
import type { SignatureAlgorithm, SignatureKeyConfig } from './schema.js';

/** A configured key compiled for verification. */
export interface CompiledSignatureKey {
  readonly config: SignatureKeyConfig;
  verify(base: Buffer, signature: Buffer): boolean;
}

const ASYMMETRIC: Record<Exclude<SignatureAlgorithm, 'hmac-sha256'>, { type: string; curve?: string }> = {
  ed25519: { type: 'ed25519' },
  'ecdsa-p256-sha256': { type: 'ec', curve: 'prime256v1' },
  'rsa-pss-sha512': { type: 'rsa' },
};

/**
 * Compiles a key at config load; throws when the key material does not fit its algorithm
 * (an RSA key configured as ed25519, an HMAC secret under 32 bytes).
 *
 * @example
 * const k = compileSignatureKey({ keyid: 'k1', alg: 'ed25519', publicKey: pem, clientId: 'c', scopes: [], roles: [] });
 */
export function compileSignatureKey(config: SignatureKeyConfig): CompiledSignatureKey {
  if (config.alg === 'hmac-sha256') {
    if (config.secret === undefined) throw new Error(`key ${config.keyid}: hmac-sha256 needs secret`);
    const secret = Buffer.from(config.secret, 'base64');
    if (secret.length < 32) throw new Error(`key ${config.keyid}: the hmac-sha256 secret must be at least 32 bytes`);
    return {
      config,
      verify: (base, sig) => {
        const mac = createHmac('sha256', secret).update(base).digest();
        return sig.length === mac.length && timingSafeEqual(sig, mac);
      },
    };
  }
  if (config.publicKey === undefined) throw new Error(`key ${config.keyid}: ${config.alg} needs publicKey`);
  const key: KeyObject = createPublicKey(config.publicKey);
  const want = ASYMMETRIC[config.alg];
  if (key.asymmetricKeyType !== want.type || (want.curve !== undefined && key.asymmetricKeyDetails?.namedCurve !== want.curve)) {
    throw new Error(`key ${config.keyid}: the public key is not a ${config.alg} key`);
  }
  switch (config.alg) {
    case 'ed25519':
      return { config, verify: (base, sig) => sig.length === 64 && cryptoVerify(null, base, key, sig) };
    case 'ecdsa-p256-sha256':
      // RFC 9421 3.3.4: the signature is r || s, 32 bytes each (not DER).
      return { config, verify: (base, sig) => sig.length === 64 && cryptoVerify('sha256', base, { key, dsaEncoding: 'ieee-p1363' }, sig) };
    case 'rsa-pss-sha512':
      return { config, verify: (base, sig) => cryptoVerify('sha512', base, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 64 }, sig) };
  }
}
