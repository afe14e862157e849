/** The HTTP methods an OpenAPI path item can hold, in the order the specification lists them. */
export const OPERATION_METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;

/** Where a parameter is carried. */
export type ParameterLocation = 'query' | 'header' | 'path' | 'cookie';

/**
 * A dereferenced OpenAPI Parameter Object. `name` and `in` are checked at load; every other
 * field is as written in the document.
 */
export interface ParameterObject {
  readonly name: string;
  readonly in: ParameterLocation;
  readonly required?: boolean;
  readonly schema?: unknown;
  readonly [field: string]: unknown;
}

/** One operation of a document, with path-item and operation fields already merged. */
export interface OperationInfo {
  /** Upper-case HTTP method, e.g. `GET`. */
  readonly method: string;
  /** The path as written in the document, e.g. `/pets/{petId}` (without the server base path). */
  readonly pathTemplate: string;
  readonly operationId?: string;
  readonly tags: readonly string[];
  /** Operation-level `security`, else the document's; undefined when neither is set. `[]` means none required. */
  readonly security?: readonly unknown[];
  /** Path-item parameters merged with the operation's; the operation's win by `in` + `name`. */
  readonly parameters: readonly ParameterObject[];
  readonly requestBody?: unknown;
  readonly responses: unknown;
  /** JSON pointer of the operation in the document, e.g. `#/paths/~1pets~1{petId}/get`. */
  readonly pointer: string;
  /** The operation's `deprecated: true`. */
  readonly deprecated?: boolean;
  /** The operation's specification extensions (`x-*` keys) as written, e.g. `{ 'x-portcullis-step-up': true }`. */
  readonly extensions: Readonly<Record<string, unknown>>;
}

/** A loaded, dereferenced and checked OpenAPI 3.0 or 3.1 document. */
export interface OpenApiDocument {
  readonly version: '3.0' | '3.1';
  /** The file as given to `loadOpenApi`. */
  readonly file: string;
  /** Absolute paths of every file read: the document and the files its `$ref`s point to. */
  readonly files: readonly string[];
  /**
   * The dereferenced document. With circular schemas it contains object cycles
   * (see `circular`): walk it with a visited set and do not `JSON.stringify` it.
   */
  readonly raw: Record<string, unknown>;
  /** True when some `$ref` was circular, so `raw` contains cycles. */
  readonly circular: boolean;
  readonly operations: readonly OperationInfo[];
  /**
   * Path part of `servers[0].url` with variables replaced by their defaults, without a
   * trailing slash: `https://api.example/v1/` gives `/v1`; '' without servers or for `/`.
   */
  readonly basePath: string;
}
