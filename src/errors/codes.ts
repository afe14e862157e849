/**
 * The catalogue of stable error codes. A code is never reused once retired;
 * `docs/reference/errors.md` lists the same codes (checked by a test).
 *
 * Client codes (`PCL_*` without `_ERR_CONFIG`) are rendered as problem+json;
 * operator codes describe config and startup failures.
 *
 * @example
 * import { CLIENT_ERRORS } from './codes.js';
 * CLIENT_ERRORS.PCL_ROUTE_NOT_FOUND.status; // 404
 */
export const CLIENT_ERRORS = {
  PCL_ROUTE_NOT_FOUND: { status: 404, title: 'Not Found' },
  PCL_GONE: { status: 410, title: 'Gone' },
  PCL_API_VERSION_UNKNOWN: { status: 400, title: 'Unknown API Version' },
  PCL_METHOD_NOT_ALLOWED: { status: 405, title: 'Method Not Allowed' },
  PCL_METHOD_NOT_IMPLEMENTED: { status: 501, title: 'Not Implemented' },
  PCL_BAD_REQUEST: { status: 400, title: 'Bad Request' },
  PCL_BAD_PATH: { status: 400, title: 'Invalid Request Path' },
  PCL_BAD_CONTENT_LENGTH: { status: 400, title: 'Invalid Content-Length' },
  PCL_REQUEST_SMUGGLING: { status: 400, title: 'Ambiguous Message Framing' },
  PCL_BAD_HEADER: { status: 400, title: 'Invalid Header' },
  PCL_HEADERS_TOO_LARGE: { status: 431, title: 'Request Header Fields Too Large' },
  PCL_BODY_TOO_LARGE: { status: 413, title: 'Content Too Large' },
  PCL_REQUEST_TIMEOUT: { status: 408, title: 'Request Timeout' },
  PCL_CORS_REJECTED: { status: 403, title: 'CORS Request Rejected' },
  PCL_AUTHN_REQUIRED: { status: 401, title: 'Authentication Required' },
  PCL_AUTHN_INVALID: { status: 401, title: 'Invalid Credentials' },
  PCL_AUTHN_INSUFFICIENT_SCOPE: { status: 403, title: 'Insufficient Scope' },
  PCL_AUTHN_STEP_UP_REQUIRED: { status: 401, title: 'Step-Up Authentication Required' },
  PCL_ADMIN_CONFLICT: { status: 409, title: 'Conflict' },
  PCL_ADMIN_NOT_FOUND: { status: 404, title: 'Not Found' },
  PCL_ADMIN_AUDIT_UNAVAILABLE: { status: 503, title: 'Service Unavailable' },
  PCL_AUTHZ_DENIED: { status: 403, title: 'Forbidden' },
  PCL_VALIDATION_FAILED: { status: 400, title: 'Request Validation Failed' },
  PCL_UNSUPPORTED_MEDIA_TYPE: { status: 415, title: 'Unsupported Media Type' },
  PCL_UPLOAD_MALFORMED: { status: 400, title: 'Malformed Upload' },
  PCL_UPLOAD_TOO_LARGE: { status: 413, title: 'Upload Too Large' },
  PCL_UPLOAD_TYPE_NOT_ALLOWED: { status: 415, title: 'Unsupported Media Type' },
  PCL_UPLOAD_REJECTED: { status: 422, title: 'Upload Rejected' },
  PCL_UPLOAD_SCAN_UNAVAILABLE: { status: 503, title: 'Service Unavailable' },
  PCL_WAF_BLOCKED: { status: 403, title: 'Request Blocked' },
  PCL_WAF_BODY_UNPARSABLE: { status: 400, title: 'Unparsable Request Body' },
  PCL_WAF_RESPONSE_BLOCKED: { status: 502, title: 'Bad Gateway' },
  PCL_WAF_NOT_READY: { status: 503, title: 'Service Unavailable' },
  PCL_RESPONSE_CONTRACT_VIOLATION: { status: 502, title: 'Bad Gateway' },
  PCL_DATA_LEAK_BLOCKED: { status: 502, title: 'Bad Gateway' },
  PCL_FLE_BODY_INVALID: { status: 400, title: 'Invalid Request Body' },
  PCL_UPSTREAM_UNAVAILABLE: { status: 502, title: 'Bad Gateway' },
  PCL_UPSTREAM_TIMEOUT: { status: 504, title: 'Gateway Timeout' },
  PCL_UPSTREAM_TLS_FAILED: { status: 502, title: 'Bad Gateway' },
  PCL_UPSTREAM_ADDRESS_REFUSED: { status: 502, title: 'Bad Gateway' },
  PCL_EGRESS_CLIENT_NOT_ALLOWED: { status: 403, title: 'Forbidden' },
  PCL_EGRESS_BAD_TARGET: { status: 400, title: 'Bad Request' },
  PCL_EGRESS_INTEGRATION_NOT_FOUND: { status: 404, title: 'Not Found' },
  PCL_EGRESS_HOST_NOT_ALLOWED: { status: 403, title: 'Forbidden' },
  PCL_EGRESS_ADDRESS_REFUSED: { status: 403, title: 'Forbidden' },
  PCL_EGRESS_METHOD_NOT_ALLOWED: { status: 403, title: 'Forbidden' },
  PCL_EGRESS_PATH_NOT_ALLOWED: { status: 403, title: 'Forbidden' },
  PCL_EGRESS_RATE_LIMITED: { status: 429, title: 'Too Many Requests' },
  PCL_EGRESS_RESPONSE_REJECTED: { status: 502, title: 'Bad Gateway' },
  PCL_EGRESS_REDIRECT_REFUSED: { status: 502, title: 'Bad Gateway' },
  PCL_UPSTREAM_HOST_INVALID: { status: 400, title: 'Bad Request' },
  PCL_UPSTREAM_HOST_REFUSED: { status: 403, title: 'Forbidden' },
  PCL_UPSTREAM_CIRCUIT_OPEN: { status: 503, title: 'Service Unavailable' },
  PCL_UPSTREAM_OVERLOADED: { status: 503, title: 'Service Unavailable' },
  PCL_SHUTTING_DOWN: { status: 503, title: 'Service Unavailable' },
  PCL_OVERLOADED: { status: 503, title: 'Service Unavailable' },
  PCL_SPOOL_FULL: { status: 503, title: 'Service Unavailable' },
  PCL_RATE_LIMITED: { status: 429, title: 'Too Many Requests' },
  PCL_RATE_LIMIT_PENALTY: { status: 429, title: 'Too Many Requests' },
  PCL_RATE_LIMIT_UNAVAILABLE: { status: 503, title: 'Service Unavailable' },
  PCL_BOT_THROTTLED: { status: 429, title: 'Too Many Requests' },
  PCL_BOT_BLOCKED: { status: 403, title: 'Forbidden' },
  PCL_BOT_STEP_UP_REQUIRED: { status: 401, title: 'Step-Up Authentication Required' },
  PCL_BOT_UNAVAILABLE: { status: 503, title: 'Service Unavailable' },
  PCL_ANOMALY_BLOCKED: { status: 403, title: 'Forbidden' },
  PCL_ANOMALY_STEP_UP_REQUIRED: { status: 401, title: 'Step-Up Authentication Required' },
  PCL_ANOMALY_UNAVAILABLE: { status: 503, title: 'Service Unavailable' },
  PCL_STAGE_FAILED: { status: 500, title: 'Internal Server Error' },
  PCL_INTERNAL: { status: 500, title: 'Internal Server Error' },
} as const satisfies Record<string, { status: number; title: string }>;

/** Codes of operator-facing errors: config, startup and CLI failures. */
export const OPERATOR_ERRORS = {
  PCL_ERR_CONFIG_INVALID: 'The configuration file failed validation.',
  PCL_ERR_CONFIG_READ: 'The configuration file could not be read or parsed.',
  PCL_ERR_CONFIG_INTERPOLATION: 'An ${ENV}, ${file:} or ${vault:} reference could not be resolved.',
  PCL_ERR_KEYRING: 'A keyring key could not be read from its source (Vault, environment, file) or is malformed.',
  PCL_ERR_OPENAPI_INVALID: 'An OpenAPI document could not be loaded or is not valid.',
  PCL_ERR_ROUTE_CONFLICT: 'Two operations map to the same method and path.',
  PCL_ERR_STAGE_UNKNOWN: 'A configured stage name is not registered.',
  PCL_ERR_STAGE_CONFIG: 'A stage rejected its configuration at compile time.',
  PCL_ERR_TLS: 'A TLS certificate or key could not be loaded.',
  PCL_ERR_LISTEN: 'A listener could not bind its address.',
  PCL_ERR_LINT_RULE: 'A lint rule id is unknown or registered twice.',
  PCL_ERR_SCAN_SCOPE: 'A scan request would leave the named target, or the target or a credential is malformed.',
} as const;

/** A code rendered to clients as problem+json. */
export type ClientErrorCode = keyof typeof CLIENT_ERRORS;
/** A code of an operator-facing failure. */
export type OperatorErrorCode = keyof typeof OPERATOR_ERRORS;
/** Every stable code Portcullis emits. */
export type ErrorCode = ClientErrorCode | OperatorErrorCode;
