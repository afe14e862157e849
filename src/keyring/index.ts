export { Keyring, EMPTY_KEYRING, type KeyInfo, type KeyMaterial, type KeySource, type KeyVersionInfo } from './keyring.js';
export { KeyringSchema, VaultSchema, KeyringKeySchema, type KeyringConfig, type KeyringKeyConfig, type VaultConfig } from './schema.js';
export { resolveKeyring, splitVaultRef, type KeyringProblem, type KeyringResolution } from './resolve.js';
export { VaultClient, type VaultSecret } from './vault.js';
export { decodeKey, parseVersions, formatVersions } from './material.js';
