import type { OperationInfo, ParameterObject } from '../../openapi/types.js';

// Words are matched on whole path segments or identifier parts, so "/administrators" and
// "adminUsers" match but "/badminton" does not.
const ADMIN = /(^|[^a-z])(admin|administrators?|internal|manage(ment)?|superuser|sudo|debug|actuator|backoffice)([^a-z]|$)/i;
const LOGIN = /(^|[^a-z])(log-?in|sign-?in|auth(enticate)?|token|oauth|session|passwords?|reset-?password|otp|mfa|2fa)([^a-z]|$)/i;
const SENSITIVE = /^(password|passwd|pass|pwd|secret|client_?secret|ssn|social_?security(_?number)?|tax_?id|api_?key|private_?key|credit_?card|card_?number|cvv|cvc|pin|otp|(access|refresh|auth|id|session)?_?token|token_?hash|password_?hash|salt)$/i;
const TOKEN_LIKE = /token/i;
const ID_NAME = /(^id$|_id$|Id$|ID$|^(uid|num|number|no)$)/;

/**
 * True when the operation looks like an admin function: a path segment, operationId or tag naming
 * admin, internal, management, debug, actuator, ….
 *
 * @example
 * isAdminLike({ pathTemplate: '/admin/users', tags: [], method: 'GET' } as OperationInfo); // true
 */
export function isAdminLike(op: Pick<OperationInfo, 'pathTemplate' | 'operationId' | 'tags'>): boolean {
  return ADMIN.test(op.pathTemplate) || (op.operationId !== undefined && ADMIN.test(splitCamel(op.operationId))) || op.tags.some((t) => ADMIN.test(t));
}

/** True when the operation looks like it checks credentials or issues tokens (login, token, password reset, OTP). */
export function isLoginLike(op: Pick<OperationInfo, 'pathTemplate' | 'operationId' | 'method'>): boolean {
  if (op.method !== 'POST' && op.method !== 'PUT') return false;
  return LOGIN.test(op.pathTemplate) || (op.operationId !== undefined && LOGIN.test(splitCamel(op.operationId)));
}

/** True for a property name that holds a secret or sensitive personal data (password, ssn, token, …). */
export function isSensitiveName(name: string): boolean {
  return SENSITIVE.test(name.replace(/-/g, '_'));
}

/** True for a property name that holds a credential (password, secret, key, token), not personal data. */
export function isCredentialName(name: string): boolean {
  return isSensitiveName(name) && !/ssn|social|tax|card|cvv|cvc/i.test(name);
}

/** True for a property name that holds a token (expected in login responses). */
export function isTokenName(name: string): boolean {
  return TOKEN_LIKE.test(name);
}

/** True when a parameter looks like an object identifier (`id`, `userId`, `order_id`). */
export function isIdParameter(p: Pick<ParameterObject, 'name'>): boolean {
  return ID_NAME.test(p.name);
}

/**
 * True when an identifier parameter's schema admits guessable, sequential values: integers, or
 * strings restricted to digits.
 */
export function isSequentialSchema(schema: unknown): boolean {
  if (typeof schema !== 'object' || schema === null) return false;
  const s = schema as Record<string, unknown>;
  const type = Array.isArray(s.type) ? s.type : [s.type];
  if (type.includes('integer') || type.includes('number')) return true;
  if (s.format === 'int32' || s.format === 'int64') return true;
  return typeof s.pattern === 'string' && /^\^?(\\d|\[0-9\])[+*{]/.test(s.pattern);
}

function splitCamel(s: string): string {
  return s.replace(/([a-z0-9])([A-Z])/g, '$1-$2').replace(/[._]/g, '-');
}
