export { createApiKeyProvider, apiKeyRevocationKey, type ApiKeyProviderOptions } from './provider.js';
export { ApiKeyProviderSchema, type ApiKeyProviderConfig } from './schema.js';
export { generateApiKey, hashSecret, parseApiKey, KEY_PREFIX, type GeneratedKey, type ParsedKey } from './key-format.js';
export { compileKeys, parseKeysFile, readKeysFile, writeKeysFile, KeyEntrySchema, KeysFileSchema, type KeyEntry, type KeysFile } from './keys-file.js';
export { WatchedFile } from './watched-file.js';
