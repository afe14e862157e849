import { randomUUID } from 'node:crypto';

const MIN = 8;
const MAX = 128;

/** True for the accepted id alphabet: A-Z a-z 0-9 . _ : - */
function isIdChar(c: number): boolean {
  return (c >= 48 && c <= 58) /* 0-9 and ':' */ || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) ||
    c === 46 || c === 95 || c === 45;
}

/**
 * True when a client-supplied id is safe to reuse: a single value of 8-128 characters from
 * `[A-Za-z0-9._:-]` (so it can go into logs, headers and the problem `instance` unescaped).
 *
 * @example
 * isValidRequestId('0f8fad5b-d9cb-469f-a165-70867728950e'); // true
 * isValidRequestId('x\r\nSet-Cookie: a=b'); // false
 */
export function isValidRequestId(value: string): boolean {
  if (value.length < MIN || value.length > MAX) return false;
  // A char loop rather than a regex: this runs on every request and is trivially linear.
  for (let i = 0; i < value.length; i++) if (!isIdChar(value.charCodeAt(i))) return false;
  return true;
}

/**
 * Returns the client's X-Request-Id when it is valid (see {@link isValidRequestId}) and a new
 * one otherwise. New ids are random UUIDs: Node draws them from a buffered entropy pool, so they
 * cost well under a microsecond, and unlike a prefix + counter they are unique across workers and
 * instances without coordination and reveal neither the request rate nor other clients' ids
 * (ids are shown to clients in error responses).
 *
 * @example
 * const id = acceptOrCreateRequestId(req.headers['x-request-id']);
 */
export function acceptOrCreateRequestId(header: string | string[] | undefined): string {
  if (typeof header === 'string' && isValidRequestId(header)) return header;
  return randomUUID();
}
