import type { OutgoingHttpHeaders } from 'node:http';
import type { Dispatcher } from 'undici';
import { GatewayError, isGatewayError } from '../errors/index.js';
import { publishUpstreamError } from '../observability/channels.js';
import type { RequestContext, ResponseContext } from '../pipeline/context.js';
import { runRespondPhase } from '../pipeline/runner.js';
import { buildUpstreamHeaders, filterRawResponseHeaders } from '../proxy/headers.js';
import { classifyUpstreamError, toGatewayError } from '../proxy/upstream-errors.js';
import type { QueuedCall, Upstream } from '../proxy/upstream.js';
import type { RouteTarget } from '../runtime/runtime.js';
import { hasBody, prepareBody } from './body.js';
import { sendProblem, type Exchange } from './exchange.js';
import { publishUpstreamDenial } from './refusal-events.js';

const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE', 'TRACE']);

/**
 * Forwards a request to its upstream with undici's dispatch API and streams the response
 * back with backpressure (no stream pipeline on the hot path). The respond phase sees the
 * upstream's head before anything is written to the client. Never throws for upstream
 * failures: they end the exchange with a problem response (or a destroyed socket).
 *
 * @example
 * forward(x, ctx, target);
 */
export function forward(x: Exchange, ctx: RequestContext, target: RouteTarget): void {
  const upstream = target.api.upstream;
  const breaker = upstream.breaker;
  if (breaker !== undefined && !breaker.canRequest()) {
    x.decision = 'upstream-error';
    void sendProblem(x, new GatewayError('PCL_UPSTREAM_CIRCUIT_OPEN', { detail: 'The upstream service is temporarily unavailable.', headers: { 'retry-after': String(Math.max(1, Math.ceil(breaker.msUntilRetry() / 1000))) } }));
    return;
  }
  const req = x.req;
  let origin: string | undefined;
  let upstreamHost = upstream.host;
  if (target.api.hostTemplate !== undefined) {
    const choice = target.api.hostTemplate.choose(ctx.route.params, req.headers);
    if (!choice.ok) {
      void sendProblem(x, choice.reason === 'not_allowed'
        ? new GatewayError('PCL_UPSTREAM_HOST_REFUSED', { detail: 'The request names an upstream that is not allowed.', stage: 'proxy', internal: choice.reason })
        : new GatewayError('PCL_UPSTREAM_HOST_INVALID', { detail: 'The request does not name a valid upstream.', stage: 'proxy', internal: choice.reason }));
      return;
    }
    origin = choice.origin;
    upstreamHost = choice.host;
  }

  let path = ctx.path;
  if (target.api.stripBasePath && target.api.basePath !== '' && path.startsWith(target.api.basePath)) {
    path = path.slice(target.api.basePath.length) || '/';
  }
  const upstreamPath = upstream.basePath + path + (ctx.query === '' ? '' : `?${ctx.query}`);
  const headers = buildUpstreamHeaders(req.headers, {
    client: ctx.client,
    requestId: x.id,
    upstreamHost,
    trustedPeer: x.rt.trusted.has(ctx.client.peer),
  });
  // Stage-requested changes (principal forwarding) win over anything the client sent.
  if (ctx.upstreamHeaders !== undefined) for (const [k, v] of Object.entries(ctx.upstreamHeaders)) { if (v === null) delete headers[k]; else headers[k] = v; }
  // A stage that reads the response body must see it as the client will, not compressed.
  if (target.plan.needsResponseBody) headers['accept-encoding'] = 'identity';

  const opts: Dispatcher.DispatchOptions = { ...(origin !== undefined ? { origin } : {}), path: upstreamPath, method: ctx.method as Dispatcher.HttpMethod, headers, body: null, idempotent: IDEMPOTENT.has(ctx.method) };
  if (ctx.body !== undefined) {
    x.requestBody = ctx.body;
    setWholeBody(opts, headers, ctx.body);
  } else if (x.spooled !== undefined) {
    // From disk, with Content-Length (undici checks the stream against it); a read-once stream is not retried.
    opts.body = x.spooled.stream() as unknown as Dispatcher.DispatchOptions['body'];
    opts.idempotent = false;
    headers['content-length'] = String(x.spooled.length);
    delete headers['transfer-encoding'];
  } else if (hasBody(req)) {
    // Request buffering: nothing is sent upstream (no connection is taken) before the body, or
    // for a large body its first bufferSize bytes, has arrived (ADR 0008).
    x.bodyUnread = false;
    prepareBody(req, target.body, (n) => { x.bytesIn = n; }).then((prepared) => {
      if (prepared.kind === 'whole') {
        x.requestBody = prepared.body;
        setWholeBody(opts, headers, prepared.body);
      } else {
        opts.body = prepared.body as unknown as Dispatcher.DispatchOptions['body'];
        opts.idempotent = false;
      }
      send(x, ctx, target, opts);
    }, (err: unknown) => {
      x.bodyUnread = true;
      // The HTTP layer already answered this one (client-error.ts): its socket is not ours to touch.
      if (x.rawStatus !== undefined) return;
      if (isGatewayError(err)) void sendProblem(x, err);
      // The client left mid-body.
      else x.res.destroy();
    });
    return;
  }
  send(x, ctx, target, opts);
}

/** True when the error (or a cause) says the name does not resolve. */
function unresolvable(err: unknown): boolean {
  for (let e = err as { code?: unknown; cause?: unknown } | undefined, i = 0; e !== null && typeof e === 'object' && i < 5; e = e.cause as typeof e, i++) {
    if (e.code === 'ENOTFOUND' || e.code === 'EAI_AGAIN' || e.code === 'EAI_NODATA') return true;
  }
  return false;
}

function setWholeBody(opts: Dispatcher.DispatchOptions, headers: Record<string, string | string[] | undefined>, body: Buffer): void {
  opts.body = body;
  headers['content-length'] = String(body.length);
  delete headers['transfer-encoding'];
}

function send(x: Exchange, ctx: RequestContext, target: RouteTarget, opts: Dispatcher.DispatchOptions): void {
  const call = new UpstreamCall(x, ctx, target, target.api.upstream, opts, opts.idempotent === true);
  // One 'close' listener per exchange (the request handler's) calls this: the client went away.
  x.onClose = call;
  call.start();
}

/**
 * One upstream call, as an undici handler of the callback kind (onConnect / onHeaders /
 * onData / onComplete / onError): undici hands it the raw header list, without wrapping the
 * handler or parsing the headers into an object first, and one object per request replaces a
 * set of closures.
 */
class UpstreamCall implements Dispatcher.DispatchHandler, QueuedCall {
  readonly #x: Exchange;
  readonly #ctx: RequestContext;
  readonly #target: RouteTarget;
  readonly #upstream: Upstream;
  readonly #opts: Dispatcher.DispatchOptions;
  readonly #retriable: boolean;
  readonly #started = process.hrtime.bigint();
  #attempt = 0;
  /** Dispatched and holding one of the upstream's connection slots (see Upstream.admit). */
  #holding = false;
  #abort: ((err?: Error) => void) | undefined = undefined;
  #aborted = false;
  #resume: (() => void) | undefined = undefined;
  #headWritten = false;
  #pending: Buffer[] | undefined = undefined;
  /** The response body being collected for the respond phase (bounded by the plan's responseBodyLimit). */
  #collected: Buffer[] | undefined = undefined;
  #collectedBytes = 0;
  #resCtx: ResponseContext | undefined = undefined;
  /** The upstream's response ended (possibly while the respond phase was still running). */
  #completed = false;

  constructor(x: Exchange, ctx: RequestContext, target: RouteTarget, upstream: Upstream, opts: Dispatcher.DispatchOptions, retriable: boolean) {
    this.#x = x;
    this.#ctx = ctx;
    this.#target = target;
    this.#upstream = upstream;
    this.#opts = opts;
    this.#retriable = retriable;
  }

  start(): void {
    this.#upstream.admit(this);
  }

  send(): void {
    this.#holding = true;
    this.#upstream.pool.dispatch(this.#opts, this);
  }

  refuse(err: GatewayError): void {
    const x = this.#x;
    x.decision = 'upstream-error';
    publishUpstreamError({ requestId: x.id, api: this.#target.api.name, code: err.code, reason: 'connection queue full or wait too long', client: this.#ctx.client.ip, operationId: this.#ctx.route.operationId });
    void sendProblem(x, err);
  }

  #release(): void {
    if (!this.#holding) return;
    this.#holding = false;
    this.#upstream.release();
  }

  /** The client went away: stop the upstream request so its socket is not leaked. */
  clientClosed(): void {
    if (this.#x.res.writableFinished) return;
    if (this.#upstream.withdraw(this)) return;
    this.#abortCall(new Error('client closed the connection'));
  }

  #abortCall(err: Error): void {
    if (this.#abort !== undefined && !this.#aborted) {
      this.#aborted = true;
      this.#abort(err);
    }
  }

  onConnect(abort: (err?: Error) => void): void {
    this.#abort = abort;
    this.#aborted = false;
  }

  onHeaders(statusCode: number, rawHeaders: Buffer[], resume: () => void): boolean {
    if (statusCode < 200) return true;
    const x = this.#x;
    if (statusCode === 401 || statusCode === 403) publishUpstreamDenial(x, statusCode);
    const ctx = this.#ctx;
    x.upstreamS = Number(process.hrtime.bigint() - this.#started) / 1e9;
    this.#upstream.breaker?.onSuccess();
    this.#resume = resume;
    let resCtx: ResponseContext = { status: statusCode, headers: filterRawResponseHeaders(rawHeaders) as OutgoingHttpHeaders, body: undefined, generated: false };
    Object.assign(resCtx.headers, ctx.responseHeaders);
    const plan = this.#target.plan;
    if (plan.byPhase.respond.length === 0) {
      // No respond stage: write the head synchronously, no pause and no microtask.
      this.#writeHead(resCtx);
      return true;
    }
    if (plan.needsResponseBody && this.#hasBody(statusCode)) {
      const declared = Number(resCtx.headers['content-length']);
      if (!(declared > plan.responseBodyLimit)) {
        // Read the whole body (bounded) before anything reaches the client; onComplete runs the phase.
        this.#resCtx = resCtx;
        this.#collected = [];
        return true;
      }
      resCtx = { ...resCtx, oversize: true };
    }
    this.#respondThenStream(resCtx);
    return false;
  }

  #hasBody(status: number): boolean {
    return this.#ctx.method !== 'HEAD' && status !== 204 && status !== 304;
  }

  /** Runs the respond phase on the head alone (the body, if any, streams afterwards). */
  #respondThenStream(resCtx: ResponseContext): void {
    const fail = (err: Error): void => {
      // Once the upstream call is over, aborting it reports nothing: answer here.
      if (this.#completed) void sendProblem(this.#x, err);
      else this.#abortCall(err);
    };
    void runRespondPhase(this.#target.plan, this.#ctx, resCtx).then((decision) => {
      if (decision.kind === 'reject') {
        fail(decision.error);
        return;
      }
      this.#writeHead(resCtx);
      if (this.#completed) this.#x.res.end();
      else this.#resume?.();
    }, (err: unknown) => fail(err instanceof Error ? err : new Error(String(err))));
  }

  /** The whole body was collected: the respond phase sees it and may replace it. */
  #respondWithBody(resCtx: ResponseContext, body: Buffer): void {
    resCtx.body = body;
    const x = this.#x;
    void runRespondPhase(this.#target.plan, this.#ctx, resCtx).then((decision) => {
      // The upstream call is over, so a rejection is answered here rather than through onError.
      if (decision.kind === 'reject') {
        void sendProblem(x, decision.error);
        return;
      }
      const out = resCtx.body ?? body;
      resCtx.headers['content-length'] = String(out.length);
      this.#writeHead(resCtx);
      x.bytesOut = out.length;
      if (!x.res.destroyed) x.res.end(out);
    }, (err: unknown) => { void sendProblem(x, err); });
  }

  #writeHead(resCtx: ResponseContext): void {
    const x = this.#x;
    x.rt.securityHeaders(resCtx.headers, { tls: x.tls, credentialed: this.#ctx.credentialed });
    resCtx.headers['x-request-id'] = x.id;
    const res = x.res;
    if (res.destroyed) return;
    res.writeHead(resCtx.status, resCtx.headers);
    this.#headWritten = true;
    const pending = this.#pending;
    if (pending !== undefined) {
      this.#pending = undefined;
      for (const chunk of pending) res.write(chunk);
    }
  }

  onData(chunk: Buffer): boolean {
    const x = this.#x;
    x.bytesOut += chunk.length;
    const collected = this.#collected;
    if (collected !== undefined) {
      this.#collectedBytes += chunk.length;
      collected.push(chunk);
      if (this.#collectedBytes <= this.#target.plan.responseBodyLimit) return true;
      // Larger than any stage wants to read (no Content-Length announced it): the stages decide
      // on the head alone, and what was read streams on after it.
      this.#collected = undefined;
      this.#pending = collected;
      this.#respondThenStream({ ...this.#resCtx!, oversize: true });
      return false;
    }
    if (!this.#headWritten) {
      (this.#pending ??= []).push(chunk);
      return true;
    }
    if (x.res.write(chunk)) return true;
    const resume = this.#resume;
    if (resume !== undefined) x.res.once('drain', resume);
    return false;
  }

  onComplete(): void {
    this.#release();
    const collected = this.#collected;
    if (collected !== undefined) {
      this.#collected = undefined;
      this.#respondWithBody(this.#resCtx!, collected.length === 1 ? collected[0]! : Buffer.concat(collected, this.#collectedBytes));
      return;
    }
    this.#completed = true;
    // Before the head is written the respond phase is still deciding; it ends the response.
    if (this.#headWritten) this.#x.res.end();
  }

  onError(err: Error): void {
    this.#release();
    const x = this.#x;
    const res = x.res;
    const breaker = this.#upstream.breaker;
    if (isGatewayError(err)) {
      // Raised by the gateway itself (the body limit while streaming): not the upstream's fault.
      x.bodyUnread = true;
      void sendProblem(x, err);
      return;
    }
    const kind = this.#aborted && res.destroyed ? 'aborted' : classifyUpstreamError(err);
    if (kind === 'aborted' || res.destroyed) {
      // The client left: neither a success nor a failure of the upstream.
      breaker?.onAbort();
      res.destroy();
      return;
    }
    // A request that got no response head may be retried if idempotent and bodiless (RFC 9110 9.2.2);
    // timeouts are not retried, since that would multiply the client's wait.
    if ((kind === 'connect' || kind === 'other') && this.#retriable && this.#attempt < this.#upstream.options.retries && x.upstreamS === undefined) {
      this.#attempt += 1;
      this.start();
      return;
    }
    if (this.#target.api.hostTemplate !== undefined && (kind === 'address' || unresolvable(err))) {
      // The host came from the request: a refused address or an unknown name is the client's doing (4xx).
      void sendProblem(x, new GatewayError('PCL_UPSTREAM_HOST_REFUSED', { detail: 'The request names an upstream that is not allowed.', stage: 'proxy', internal: kind === 'address' ? 'address_refused' : 'unresolvable' }));
      return;
    }
    breaker?.onFailure();
    x.decision = 'upstream-error';
    const gwErr = toGatewayError(kind);
    publishUpstreamError({ requestId: x.id, api: this.#target.api.name, code: gwErr.code, reason: err.message, client: this.#ctx.client.ip, operationId: this.#ctx.route.operationId });
    if (this.#headWritten) res.destroy();
    else void sendProblem(x, gwErr);
  }
}
