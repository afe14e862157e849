import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { GatewayError, PROBLEM_CONTENT_TYPE, isGatewayError, toProblem } from '../errors/index.js';
import { untrackRequest, publishRequestEnd, publishSecurityEvent } from '../observability/channels.js';
import type { ClientInfo, RequestContext, ResponseContext } from '../pipeline/context.js';
import { runRecordPhase, runRespondPhase } from '../pipeline/runner.js';
import type { RouteTarget, Runtime } from '../runtime/runtime.js';
import type { SpoolFile } from './spool-file.js';
import { HTTP_LAYER_CODES, eventPath, publishRefusal } from './refusal-events.js';

/**
 * The gateway's own bookkeeping for one request/response exchange: what the access
 * log, metrics and error rendering need, beside the stage-facing RequestContext.
 */
export interface Exchange {
  readonly id: string;
  readonly startedAt: bigint;
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly rt: Runtime;
  readonly tls: boolean;
  path: string;
  client: ClientInfo | undefined;
  target: RouteTarget | undefined;
  ctx: RequestContext | undefined;
  upstreamS: number | undefined;
  bytesIn: number;
  bytesOut: number;
  /** `refused`: the HTTP layer refused the request (malformed or slow), before or instead of the API policy. */
  decision: 'allowed' | 'rejected' | 'refused' | 'answered' | 'upstream-error';
  /** The status the client-error path wrote on the raw socket (the ServerResponse never sent one). */
  rawStatus?: number;
  code: string | undefined;
  stage: string | undefined;
  /** The request body was not read (or only partly): the connection must not be reused. */
  bodyUnread: boolean;
  /** The request body when it was read whole (for the inventory's field names; never logged). */
  requestBody?: Buffer;
  /** The request body on disk (a spooling stage): removed when the response closes. */
  spooled?: SpoolFile;
  /** Told once when the client connection closes, after the exchange is published (aborts an upstream call). */
  onClose: { clientClosed(): void } | undefined;
}

const EXCHANGE = Symbol('portcullis.exchange');
type WithExchange = Socket & { [EXCHANGE]?: Exchange | undefined };

/** Remembers the exchange a connection is serving, so the client-error path can record its refusal against it. */
export function bindExchange(x: Exchange): void {
  (x.req.socket as WithExchange)[EXCHANGE] = x;
}

/** Forgets `x` on its connection (it ended). */
export function unbindExchange(x: Exchange): void {
  const socket = x.req.socket as WithExchange | null;
  if (socket !== null && socket[EXCHANGE] === x) socket[EXCHANGE] = undefined;
}

/** The exchange a connection is serving right now, if any. */
export function exchangeOf(socket: Socket): Exchange | undefined {
  return (socket as WithExchange)[EXCHANGE];
}

/** True when the request carries credentials, so the response must not be cached. */
export function isCredentialed(req: IncomingMessage): boolean {
  return req.headers.authorization !== undefined || req.headers.cookie !== undefined ||
    req.headers['x-api-key'] !== undefined || (req.socket as { authorized?: boolean }).authorized === true;
}

/**
 * Sends a rejection as problem+json. The respond phase still runs (so CORS headers reach
 * a browser that must read the error), but it cannot turn an error into something else.
 */
export async function sendProblem(x: Exchange, error: unknown): Promise<void> {
  // The client-error path already answered on the raw socket; nothing more may be written.
  if (x.rawStatus !== undefined) return;
  const err = isGatewayError(error) ? error : new GatewayError('PCL_INTERNAL', { internal: String(error), cause: error });
  x.decision = x.decision === 'upstream-error' ? 'upstream-error' : HTTP_LAYER_CODES.has(err.code) ? 'refused' : 'rejected';
  x.code = err.code;
  x.stage = err.stage ?? x.stage;
  const { res, req } = x;
  publishRefusal(x, err.code, err.status, err.stage);
  if (res.headersSent || res.destroyed) {
    res.destroy();
    return;
  }
  const body = JSON.stringify(toProblem(err, x.id));
  const headers: OutgoingHttpHeaders = {};
  for (const [k, v] of Object.entries(err.headers)) headers[k.toLowerCase()] = v;
  headers['content-type'] = PROBLEM_CONTENT_TYPE;
  headers['cache-control'] = 'no-store';
  await finishHeaders(x, { status: err.status, headers, body: undefined, generated: true });
  headers['content-type'] = PROBLEM_CONTENT_TYPE;
  headers['content-length'] = Buffer.byteLength(body);
  // After a refusal of the HTTP layer the connection cannot be trusted for another request.
  if (x.bodyUnread || x.decision === 'refused') headers.connection = 'close';
  if (res.destroyed) return;
  res.writeHead(err.status, headers);
  res.end(req.method === 'HEAD' ? undefined : body);
  x.bytesOut = Buffer.byteLength(body);
}

/** Sends a response the gateway answers itself (a CORS preflight). */
export async function sendGenerated(x: Exchange, status: number, headers: Record<string, string>, body?: string | Buffer): Promise<void> {
  x.decision = 'answered';
  const out: OutgoingHttpHeaders = { ...headers };
  x.rt.securityHeaders(out, { tls: x.tls, credentialed: isCredentialed(x.req) });
  out['x-request-id'] = x.id;
  if (body !== undefined) out['content-length'] = Buffer.byteLength(body);
  if (x.bodyUnread) out.connection = 'close';
  x.res.writeHead(status, out);
  x.res.end(body);
}

/** Runs the respond phase (if a route matched) and applies the runtime's security headers. */
export async function finishHeaders(x: Exchange, resCtx: ResponseContext): Promise<void> {
  if (x.ctx !== undefined && x.target !== undefined) {
    Object.assign(resCtx.headers, x.ctx.responseHeaders);
    // On gateway-generated responses a respond-phase rejection is ignored: the error stands.
    await runRespondPhase(x.target.plan, x.ctx, resCtx);
  }
  x.rt.securityHeaders(resCtx.headers, { tls: x.tls, credentialed: x.ctx?.credentialed ?? isCredentialed(x.req) });
  resCtx.headers['x-request-id'] = x.id;
}

/** Publishes the end of an exchange (access log, metrics) and runs record handlers. */
export function endExchange(x: Exchange): void {
  unbindExchange(x);
  untrackRequest(x.id);
  const status = x.rawStatus ?? x.res.statusCode;
  if (x.ctx !== undefined && x.decision !== 'rejected' && x.ctx.findings.length > 0) publishFilterFindings(x);
  // getHeaders() copies the header map: only worth it when a record stage will read it.
  if (x.ctx !== undefined && x.target !== undefined && x.target.plan.byPhase.record.length > 0) {
    runRecordPhase(x.target.plan, x.ctx, { status, headers: x.res.getHeaders(), body: undefined, generated: x.decision !== 'allowed' });
  }
  publishRequestEnd(() => ({
    requestId: x.id,
    method: x.req.method ?? '',
    path: x.path,
    api: x.target?.api.name ?? '(none)',
    operationId: x.target?.label ?? '(unmatched)',
    status: x.rawStatus !== undefined || x.res.headersSent ? status : 0,
    durationS: Number(process.hrtime.bigint() - x.startedAt) / 1e9,
    upstreamS: x.upstreamS,
    bytesIn: x.bytesIn,
    bytesOut: x.bytesOut,
    client: x.client?.ip ?? x.req.socket.remoteAddress ?? '',
    decision: x.decision,
    code: x.code,
    stage: x.stage,
    headers: x.req.headers,
    userAgent: x.req.headers['user-agent'],
    ...(x.requestBody !== undefined ? { requestBody: x.requestBody } : {}),
  }));
}

/** Response-filter removals (findings of a response that was still sent) are security events too. */
function publishFilterFindings(x: Exchange): void {
  const ctx = x.ctx!;
  for (const f of ctx.findings) {
    if (f.stage !== 'response-filter') continue;
    publishSecurityEvent(() => ({
      kind: 'response.filtered', reason: f.enforced ? 'removed' : 'reported', requestId: x.id, api: ctx.route.apiName, operationId: ctx.route.operationId,
      client: ctx.client.ip, ...(ctx.principal !== undefined ? { principal: ctx.principal.id } : {}), severity: 'medium', stage: 'response-filter',
      excerpt: f.message.slice(0, 200), enforced: f.enforced, method: ctx.method, path: eventPath(x.path), status: x.res.statusCode, code: f.code,
    }));
  }
}
