import type { ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { GatewayError, PROBLEM_CONTENT_TYPE, rawProblemResponse, toProblem, type ClientErrorCode } from '../errors/index.js';
import { publishRequestEnd, publishSecurityEvent } from '../observability/channels.js';
import type { CompiledIntegration } from './compile.js';

/** What is known about one egress exchange when it ends. */
export interface EgressExchange {
  readonly id: string;
  readonly client: string;
  readonly method: string;
  /** Destination without query (queries to third parties carry secrets too often to log). */
  readonly target: string;
  readonly started: number;
  integration: string | undefined;
  userAgent: string | undefined;
}

/** Reasons that mean an attempt on the network rather than a misconfigured client. */
const HIGH = new Set(['address_refused', 'response_rejected', 'redirect_refused', 'path_traversal']);

/**
 * A refused egress request: the `egress.refused` security event (reason internal, never sent),
 * then the access-log record. The caller writes the problem.
 */
export function recordRefusal(x: EgressExchange, err: GatewayError, reason: string): void {
  publishSecurityEvent(() => ({
    kind: 'egress.refused', reason, requestId: x.id, api: `egress:${x.integration ?? '-'}`, operationId: undefined,
    client: x.client, severity: HIGH.has(reason) ? 'high' : 'medium', stage: 'egress', method: x.method, path: x.target,
    status: err.status, code: err.code, enforced: true, ...(err.internal !== undefined ? { excerpt: err.internal.slice(0, 200) } : {}),
  }));
  recordEnd(x, err.status, 'rejected', err.code, 0, undefined);
}

/** The access-log record of an egress exchange. */
export function recordEnd(x: EgressExchange, status: number, decision: string, code: string | undefined, bytesOut: number, upstreamS: number | undefined): void {
  publishRequestEnd(() => ({
    requestId: x.id, method: x.method, path: x.target, api: `egress:${x.integration ?? '-'}`, operationId: '(egress)', status,
    durationS: (performance.now() - x.started) / 1000, upstreamS, bytesIn: 0, bytesOut, client: x.client, decision, code,
    stage: 'egress', headers: {}, userAgent: x.userAgent,
  }));
}

/** A refusal with its event: `code` with a public detail. */
export function refusal(code: ClientErrorCode, reason: string, detail: string, opts: { headers?: Record<string, string>; internal?: string } = {}): { err: GatewayError; reason: string } {
  return { err: new GatewayError(code, { detail, stage: 'egress', ...opts }), reason };
}

/**
 * Takes one unit of the integration's budget, last of the checks so that only an exchange that is
 * really sent spends the third party's quota; when it is spent, gives back the circuit breaker's
 * trial slot `canRequest` may have handed out and answers the refusal.
 */
export async function spendBudget(integ: CompiledIntegration): Promise<{ err: GatewayError; reason: string } | undefined> {
  const budget = integ.rate === undefined ? undefined : await integ.rate.take();
  if (budget === undefined || budget.allowed) return undefined;
  integ.breaker?.onAbort();
  return refusal('PCL_EGRESS_RATE_LIMITED', 'rate_limited', 'The integration\'s request budget is spent; retry later.', { headers: { 'retry-after': String(budget.retryAfterSeconds) } });
}

/** Writes a problem+json answer (the exchange is over). */
export function writeProblem(res: ServerResponse, err: GatewayError, id: string): void {
  if (res.headersSent) { res.destroy(); return; }
  const body = JSON.stringify(toProblem(err, id));
  res.writeHead(err.status, {
    ...err.headers, 'content-type': PROBLEM_CONTENT_TYPE, 'content-length': Buffer.byteLength(body), 'x-request-id': id,
    'cache-control': 'no-store', 'x-content-type-options': 'nosniff',
  });
  res.end(body);
}

/** Writes a problem+json answer on a raw socket (CONNECT) and closes it. */
export function writeRawProblem(socket: Socket, err: GatewayError, id: string): void {
  if (!socket.writable) { socket.destroy(); return; }
  socket.end(rawProblemResponse(err, id, { 'Cache-Control': 'no-store' }));
}
