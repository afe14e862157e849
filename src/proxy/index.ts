export { resolveClient, parseHost, type ClientAddressInput, type ForwardedHeaderMode, type ResolveClientOptions } from './client-address.js';
export { parseForwardedElement, formatForwardedElement, type ForwardedElement, type ForwardedNode } from './forwarded.js';
export { buildUpstreamHeaders, filterResponseHeaders, type UpstreamHeaderOptions } from './headers.js';
export { acceptOrCreateRequestId, isValidRequestId } from './request-id.js';
export { CircuitBreaker, type CircuitBreakerOptions, type CircuitState } from './circuit-breaker.js';
export { classifyUpstreamError, toGatewayError, type UpstreamErrorKind } from './upstream-errors.js';
export { Upstream, type UpstreamOptions } from './upstream.js';
