import { Type, type Static } from '@sinclair/typebox';

/**
 * TOTP step-up (RFC 6238) for sensitive operations: the already authenticated principal must
 * also present a current one-time code.
 */
export const StepUpSchema = Type.Object({
  file: Type.String({ minLength: 1, description: 'Secrets file (YAML/JSON: `secrets: { <principal id>: { secret: <base32> } }`), relative to the config file. Written by `portcullis totp enroll`; reloaded when it changes.' }),
  header: Type.String({ minLength: 1, default: 'X-Portcullis-OTP', description: 'Request header carrying the code.' }),
  window: Type.Integer({ minimum: 0, maximum: 2, default: 1, description: 'Steps accepted either side of the current one (clock drift).' }),
  period: Type.Integer({ minimum: 15, maximum: 120, default: 30, description: 'Seconds per step.' }),
  digits: Type.Integer({ minimum: 6, maximum: 8, default: 6 }),
  algorithm: Type.Union([Type.Literal('SHA1'), Type.Literal('SHA256'), Type.Literal('SHA512')], { default: 'SHA1', description: 'HMAC algorithm; SHA1 is what authenticator apps support.' }),
  reloadCheckMs: Type.Integer({ minimum: 0, default: 1000, description: 'How often (at most) the secrets file is stat-ed for changes.' }),
  realm: Type.Optional(Type.String({ pattern: '^[\\x20-\\x21\\x23-\\x5b\\x5d-\\x7e]*$', maxLength: 128, description: 'Realm named in the WWW-Authenticate challenge. Default: the authn stage realm.' })),
}, { additionalProperties: false });

export type StepUpConfig = Static<typeof StepUpSchema>;

/** One enrolled principal in the secrets file. */
export const TotpSecretsFileSchema = Type.Object({
  secrets: Type.Record(Type.String(), Type.Object({
    secret: Type.String({ pattern: '^[A-Z2-7]{16,128}=*$', description: 'base32 secret (at least 80 bits).' }),
    createdAt: Type.Optional(Type.String()),
  }, { additionalProperties: false }), { default: {} }),
}, { additionalProperties: false });

export type TotpSecretsFile = Static<typeof TotpSecretsFileSchema>;
