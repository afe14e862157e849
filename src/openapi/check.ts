import { PortcullisError } from '../errors/index.js';
import { pointer } from './pointer.js';

/** Reference tokens of a location in the document. */
export type Tokens = readonly (string | number)[];

/** Throws the load error for a location; see {@link failAt}. */
export type Fail = (at: Tokens, message: string) => never;

/**
 * A {@link Fail} for one file: messages read `petstore.yaml#/paths/~1pets/get: must be an object`,
 * or `petstore.yaml: ...` for the document itself.
 *
 * @example
 * const fail = failAt('petstore.yaml');
 * fail(['paths'], 'must be an object'); // throws PCL_ERR_OPENAPI_INVALID
 */
export function failAt(file: string): Fail {
  return (at, message) => {
    throw new PortcullisError('PCL_ERR_OPENAPI_INVALID', at.length === 0 ? `${file}: ${message}` : `${file}${pointer(at)}: ${message}`);
  };
}

/** True for a plain JSON object (not null, not an array). */
export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
