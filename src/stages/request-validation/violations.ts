import { GatewayError } from '../../errors/index.js';
import type { ErrorObject } from '../../openapi/ajv.js';
import { seg, type Violation } from './params.js';

/** At most this many violations are returned to the client. */
export const MAX_VIOLATIONS = 10;

/**
 * Maps Ajv errors to violations under `base` (e.g. `/body`). Reasons are Ajv's messages,
 * which quote the schema (limits, formats, patterns) but never the input value.
 *
 * @example
 * ajvViolations(validate.errors, '/body'); // [{ pointer: '/body/price', reason: 'must be >= 0' }]
 */
export function ajvViolations(errors: readonly ErrorObject[] | null | undefined, base: string): Violation[] {
  const out: Violation[] = [];
  for (const e of errors ?? []) {
    if (out.length >= MAX_VIOLATIONS) break;
    let pointer = base + e.instancePath;
    let reason = e.message ?? 'is invalid';
    const params = e.params as Record<string, unknown>;
    if (e.keyword === 'required' && typeof params.missingProperty === 'string') {
      pointer += `/${seg(params.missingProperty)}`;
      reason = 'is required';
    } else if (e.keyword === 'unevaluatedProperties' && typeof params.unevaluatedProperty === 'string') {
      pointer += `/${seg(params.unevaluatedProperty)}`;
      reason = 'is not a declared property';
    } else if (e.keyword === 'additionalProperties' && typeof params.additionalProperty === 'string') {
      pointer += `/${seg(params.additionalProperty)}`;
      reason = 'is not a declared property';
    } else if (e.keyword === 'false schema') {
      reason = 'is not allowed (read-only or forbidden)';
    }
    // Combinators repeat the same location; keep the list short and useful.
    if (out.some((v) => v.pointer === pointer && v.reason === reason)) continue;
    out.push({ pointer: truncate(pointer, 200), reason: truncate(reason, 120) });
  }
  return out;
}

function truncate(s: string, n: number): string {
  return s.length > n ? `${s.slice(0, n)}…` : s;
}

/**
 * The 400 rejection for a request that breaks the contract.
 *
 * @example
 * throw validationError([{ pointer: '/query/limit', reason: 'must be integer' }]);
 */
export function validationError(violations: readonly Violation[], internal?: string): GatewayError {
  const list = violations.slice(0, MAX_VIOLATIONS);
  return new GatewayError('PCL_VALIDATION_FAILED', {
    detail: 'The request does not match the API contract.',
    extensions: { errors: list },
    stage: 'request-validation',
    internal: internal ?? list.map((v) => `${v.pointer}: ${v.reason}`).join('; '),
  });
}

/** The 415 rejection for an undeclared or malformed Content-Type. */
export function mediaTypeError(internal: string): GatewayError {
  return new GatewayError('PCL_UNSUPPORTED_MEDIA_TYPE', {
    detail: 'The request content type is not one the operation accepts.',
    stage: 'request-validation',
    internal,
  });
}
