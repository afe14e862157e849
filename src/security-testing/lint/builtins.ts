import type { LintRule } from './rule.js';
import { adminPathUnmarked, sequentialIdWithoutOwnership } from './rules/authorization.js';
import { loginWithoutRateLimit, missing429Response, missingAuthErrorResponses, operationWithoutSecurity } from './rules/authentication.js';
import { piiInExample, secretInExample } from './rules/examples.js';
import { corsWildcardCredentials, stageNotEnforcing } from './rules/gateway.js';
import { httpServer } from './rules/misconfiguration.js';
import { openRequestObject, sensitiveResponseField } from './rules/properties.js';
import { unboundedArray, unboundedNumber, unboundedString } from './rules/resources.js';

/** Every lint rule shipped, in the order `portcullis lint --list-rules` prints them (by OWASP category). */
export const BUILTIN_LINT_RULES: readonly LintRule[] = Object.freeze([
  sequentialIdWithoutOwnership,
  operationWithoutSecurity,
  loginWithoutRateLimit,
  openRequestObject,
  sensitiveResponseField,
  piiInExample,
  unboundedString,
  unboundedArray,
  unboundedNumber,
  missing429Response,
  adminPathUnmarked,
  httpServer,
  secretInExample,
  missingAuthErrorResponses,
  corsWildcardCredentials,
  stageNotEnforcing,
]);
