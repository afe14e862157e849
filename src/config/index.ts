export { loadConfig, ConfigError, formatIssue, validateValue, type LoadedConfig, type ConfigIssue, type ConfigErrorCode } from './load.js';
export { isSecretPath, MAX_INTERPOLATED_FILE_BYTES } from './interpolate.js';
export { configJsonSchema, CONFIG_SCHEMA_ID } from './json-schema.js';
export { redactConfig, REDACTED } from './redact.js';
export { renderPath, type ConfigPath, type PathSegment } from './path.js';
export { isHttpUrl } from './http-url.js';
export { isIpOrCidr } from './cross-checks.js';
export type { Position } from './locate.js';
export * from './schema.js';
