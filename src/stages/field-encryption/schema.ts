import { Type, type Static } from '@sinclair/typebox';

export const FieldEncryptionSchema = Type.Object({
  key: Type.String({ pattern: '^[a-z][a-z0-9-]*$', description: 'Name of the keyring key (keyring.keys.<name>, 32 bytes) whose current version encrypts; every version still in the keyring decrypts.' }),
  fields: Type.Array(Type.String({ pattern: '^/', description: 'A JSON pointer; a `*` segment matches every array item or object member (e.g. /items/*/ssn).' }), { minItems: 1, maxItems: 64, uniqueItems: true, description: 'Fields encrypted in request bodies and decrypted (or masked) in responses.' }),
  encryptRequests: Type.Boolean({ default: true, description: 'Encrypt the fields of JSON request bodies before they reach the upstream. A non-empty body that is not JSON is refused (400 PCL_FLE_BODY_INVALID).' }),
  decryptRoles: Type.Array(Type.String({ minLength: 1 }), { default: [], description: 'Principals with one of these roles read the fields in clear in responses.' }),
  others: Type.Union([Type.Literal('mask'), Type.Literal('remove')], { default: 'mask', description: 'What every other caller gets for each field: `mask` replaces the value with `mask`, `remove` drops it.' }),
  mask: Type.String({ default: '[ENCRYPTED]', description: 'The value a masked field shows.' }),
  onDecryptFailure: Type.Union([Type.Literal('mask'), Type.Literal('remove')], { default: 'mask', description: 'A field that is JWE-shaped but does not decrypt (tampered, unknown or retired kid) for an allowed caller: masked or removed, with a data.decrypt_failed event. Never a 5xx.' }),
  maxBodySize: Type.Integer({ minimum: 1, default: 1_048_576, description: 'Largest response body buffered for decryption; a larger one passes unread (its fields stay ciphertext, with a data.uninspected event).' }),
}, { additionalProperties: false });

export type FieldEncryptionConfig = Static<typeof FieldEncryptionSchema>;
