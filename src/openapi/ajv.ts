import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';

export type { ErrorObject, ValidateFunction };

/** The two Ajv instances of one OpenAPI document: strict for bodies, coercing for strings. */
export interface DocumentAjv {
  /** JSON bodies: no coercion, no defaults written into the request. */
  readonly body: Ajv2020;
  /** Parameters, form fields, XML: values arrive as strings and are coerced per schema. */
  readonly coercing: Ajv2020;
}

const INT32 = { type: 'number' as const, validate: (n: number) => Number.isInteger(n) && n >= -2147483648 && n <= 2147483647 };
const INT64 = { type: 'number' as const, validate: (n: number) => Number.isInteger(n) };
const BYTE = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

function make(coerce: boolean): Ajv2020 {
  const ajv = new Ajv2020({
    allErrors: true,
    // OpenAPI documents carry keywords Ajv does not know (example, xml, x-*): ignore, don't fail.
    strict: false,
    logger: false,
    coerceTypes: coerce ? 'array' : false,
    useDefaults: false,
    validateFormats: true,
  });
  (addFormats as unknown as (a: Ajv2020) => void)(ajv);
  ajv.addFormat('int32', INT32);
  ajv.addFormat('int64', INT64);
  ajv.addFormat('float', { type: 'number', validate: () => true });
  ajv.addFormat('double', { type: 'number', validate: () => true });
  ajv.addFormat('byte', BYTE);
  ajv.addFormat('binary', true);
  ajv.addFormat('password', true);
  return ajv;
}

// One pair per document (keyed by an object of that document), so a reload drops the old
// compiled schemas with the old document instead of growing one global instance.
const perDocument = new WeakMap<object, DocumentAjv>();

/**
 * The shared Ajv pair of a document.
 *
 * @example
 * const { body } = ajvFor(deps.operation);
 */
export function ajvFor(key: object): DocumentAjv {
  let found = perDocument.get(key);
  if (found === undefined) {
    found = { body: make(false), coercing: make(true) };
    perDocument.set(key, found);
  }
  return found;
}
