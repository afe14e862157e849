import { Type, type Static } from '@sinclair/typebox';
import { ModeSchema } from '../../config/common.js';

const Int = (min: number, def: number, description: string) => Type.Integer({ minimum: min, default: def, description });

/** Limits applied to JSON bodies (and JSON-encoded parameters) while they are scanned, before parsing. */
export const JsonLimitsSchema = Type.Object({
  maxDepth: Int(1, 32, 'Deepest nesting of objects and arrays; deeper bodies are refused before JSON.parse runs.'),
  maxStringLength: Int(1, 65_536, 'Longest string (in UTF-16 units, keys included).'),
  maxArrayLength: Int(1, 10_000, 'Most elements in one array.'),
  maxProperties: Int(1, 1_000, 'Most properties in one object.'),
}, { additionalProperties: false, default: {} });

/** Limits of multipart/form-data bodies (the whole body is already bounded by the gateway body limit). */
export const MultipartLimitsSchema = Type.Object({
  maxParts: Int(1, 100, 'Most parts (fields and files together).'),
  maxFiles: Int(0, 10, 'Most file parts.'),
  maxFileSize: Int(1, 10_485_760, 'Largest file part in bytes.'),
  maxFieldSize: Int(1, 65_536, 'Largest non-file field in bytes.'),
}, { additionalProperties: false, default: {} });

/**
 * OpenAPI request validation of one API or operation: parameters, content type and body
 * against the operation of the API's OpenAPI document, compiled at load.
 */
export const RequestValidationSchema = Type.Object({
  mode: ModeSchema,
  allowUnknownQueryParameters: Type.Boolean({ default: false, description: 'Let query parameters the operation does not declare through. Off by default: unknown parameters are rejected.' }),
  strictBodies: Type.Boolean({ default: true, description: 'Mass-assignment protection: object schemas that do not set additionalProperties reject undeclared properties (as if additionalProperties were false). readOnly properties are always rejected in requests.' }),
  maxQueryParameters: Int(1, 100, 'Most name=value pairs in the query string.'),
  json: JsonLimitsSchema,
  multipart: MultipartLimitsSchema,
}, { additionalProperties: false });

export type RequestValidationConfig = Static<typeof RequestValidationSchema>;
