import { CLIENT_ERRORS, type ClientErrorCode, type OperatorErrorCode } from './codes.js';

/**
 * Base of every error Portcullis raises. Carries a stable `code`.
 *
 * @example
 * if (err instanceof PortcullisError) console.error(err.code);
 */
export class PortcullisError extends Error {
  readonly code: ClientErrorCode | OperatorErrorCode;
  constructor(code: ClientErrorCode | OperatorErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

/** Options for a client rejection. */
export interface GatewayErrorOptions {
  /** Public, generic detail. Never internal state or echoed input. */
  detail?: string;
  /** Overrides the catalogue status (e.g. a stage configured with a custom status). */
  status?: number;
  /** Extra response headers (e.g. `Allow`, `Retry-After`). */
  headers?: Record<string, string>;
  /** Extra public members of the problem document (RFC 9457 extension members). */
  extensions?: Record<string, unknown>;
  /** The stage that rejected the request, for logs and events. */
  stage?: string;
  /** Internal detail for logs and the audit trail only; never sent to the client. */
  internal?: string;
  cause?: unknown;
}

/**
 * A client rejection: a status, a stable public code and a generic message,
 * rendered as RFC 9457 problem+json by the pipeline.
 *
 * @example
 * throw new GatewayError('PCL_BODY_TOO_LARGE', { detail: 'The request body exceeds 1048576 bytes.' });
 */
export class GatewayError extends PortcullisError {
  declare readonly code: ClientErrorCode;
  readonly status: number;
  readonly title: string;
  readonly detail: string | undefined;
  readonly headers: Record<string, string>;
  readonly extensions: Record<string, unknown>;
  readonly stage: string | undefined;
  readonly internal: string | undefined;

  constructor(code: ClientErrorCode, options: GatewayErrorOptions = {}) {
    const entry = CLIENT_ERRORS[code];
    // A rejection is a value, never shown with a stack (problem.ts renders code and detail): capturing
    // one cost ~6 % of a request that is refused or monitored on every request (ADR 0018).
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    try {
      super(code, options.detail ?? entry.title, options.cause === undefined ? undefined : { cause: options.cause });
    } finally {
      Error.stackTraceLimit = limit;
    }
    this.status = options.status ?? entry.status;
    this.title = entry.title;
    this.detail = options.detail;
    this.headers = options.headers ?? {};
    this.extensions = options.extensions ?? {};
    this.stage = options.stage;
    this.internal = options.internal;
  }
}

/** Type guard that survives duplicate module copies (checks the shape, not the prototype). */
export function isGatewayError(value: unknown): value is GatewayError {
  return value instanceof GatewayError || (
    value instanceof Error && typeof (value as GatewayError).status === 'number' &&
    typeof (value as GatewayError).code === 'string' && (value as GatewayError).code in CLIENT_ERRORS
  );
}
