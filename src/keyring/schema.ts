import { Type, type Static } from '@sinclair/typebox';

const Strict = { additionalProperties: false } as const;

export const VaultSchema = Type.Object({
  address: Type.String({ format: 'http-url', description: 'Base URL of a KV store that speaks HashiCorp Vault\'s KV v2 API, e.g. https://vault.internal:8200.' }),
  token: Type.String({ minLength: 1, description: 'Token sent as X-Vault-Token. Use ${ENV} or ${file:...} (a ${vault:...} reference cannot be used here).' }),
  mount: Type.String({ pattern: '^[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)*$', default: 'secret', description: 'Mount path of the KV v2 secrets engine: reads go to GET /v1/<mount>/data/<path>.' }),
  namespace: Type.Optional(Type.String({ minLength: 1, description: 'Vault Enterprise namespace (X-Vault-Namespace).' })),
  timeoutMs: Type.Integer({ minimum: 100, maximum: 60_000, default: 5_000, description: 'Longest wait for one read; a load or reload that cannot read a secret fails (the running config keeps serving).' }),
}, { ...Strict, description: 'Connection to a Vault KV v2 store, used by keyring.keys entries with `vault` and by ${vault:path#field} references anywhere in the config.' });

export const KeyringKeySchema = Type.Object({
  vault: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)*(#[A-Za-z0-9_.-]+)?$', description: 'KV v2 path, optionally with #field (default field: value). Each Vault version is a key version: kid <name>.v<version>.' })),
  env: Type.Optional(Type.String({ pattern: '^[A-Za-z_][A-Za-z0-9_]*$', description: 'Environment variable holding the key (or several versions: "2:<key> 1:<key>").' })),
  file: Type.Optional(Type.String({ minLength: 1, description: 'File (relative to the config file) holding the key, or one version per line as "<version>:<key>". `portcullis keys rotate --keyring` adds a line.' })),
  encoding: Type.Union([Type.Literal('base64'), Type.Literal('base64url'), Type.Literal('hex'), Type.Literal('utf8')], { default: 'base64', description: 'How the stored value encodes the key bytes.' }),
  length: Type.Optional(Type.Integer({ minimum: 16, maximum: 1024, description: 'Exact key length in bytes (field-encryption keys must be 32: A256GCM).' })),
  versions: Type.Integer({ minimum: 1, maximum: 20, default: 3, description: 'Versions kept usable: the current one encrypts and signs, the older ones (up to this many in all) still decrypt and verify: the rotation overlap.' }),
  rotationDays: Type.Optional(Type.Integer({ minimum: 1, maximum: 3650, description: 'Intended rotation period: `portcullis keys list --keyring` shows the next rotation date (and "due" once past it).' })),
}, { ...Strict, description: 'A named key of the keyring: exactly one of vault, env, file.' });

export const KeyringSchema = Type.Object({
  vault: Type.Optional(VaultSchema),
  keys: Type.Record(Type.String({ pattern: '^[a-z][a-z0-9-]*$' }), KeyringKeySchema, { default: {}, additionalProperties: false, description: 'Named, versioned keys (field-encryption keys, ...), by name.' }),
}, { ...Strict, description: 'The keyring: named keys with versions from env, files or a Vault KV v2 store, and the Vault connection ${vault:...} references use. Secrets never reach logs.' });

export type VaultConfig = Static<typeof VaultSchema>;
export type KeyringKeyConfig = Static<typeof KeyringKeySchema>;
export type KeyringConfig = Static<typeof KeyringSchema>;
