import type { IncomingMessage, ServerResponse } from 'node:http';
import { GatewayError } from '../errors/index.js';
import type { RequestContext } from '../pipeline/context.js';
import type { Decision } from '../pipeline/stage.js';
import { runRequestPhases } from '../pipeline/runner.js';
import { resolveClient } from '../proxy/client-address.js';
import { acceptOrCreateRequestId } from '../proxy/request-id.js';
import { normalizePath } from '../router/index.js';
import { selectRouter } from '../runtime/versions.js';
import type { RouteTarget, Runtime } from '../runtime/runtime.js';
import { isPreflight } from '../stages/cors/index.js';
import { peerCertificateOf } from '../stages/authn/providers/mtls/peer-certificate.js';
import { hasBody, readBounded, tooLarge } from './body.js';
import { bindExchange, endExchange, isCredentialed, sendGenerated, sendProblem, type Exchange } from './exchange.js';
import { forward } from './forward.js';
import { trackRequest } from '../observability/channels.js';
import { eventPath } from '../observability/event-path.js';
import { checkRequestHead } from './request-head.js';
import { ja4OfSocket } from '../tls/capture.js';
import type { OverloadMonitor } from './overload.js';
import { createShedResponder } from './shed.js';

/**
 * Builds the public listener's request handler. `current` is read once per request, so a
 * reload never changes the runtime under a request in flight.
 *
 * @example
 * http.createServer(createRequestHandler(() => runtime, { tls: false }));
 */
export function createRequestHandler(current: () => Runtime, opts: { tls: boolean; overload?: OverloadMonitor }) {
  const overload = opts.overload;
  // One listener per handler, shared by its requests: gives the admitted request's in-flight slot back, then closes the exchange.
  const onResponseClose = overload === undefined ? closeExchange : function (this: ServerResponse): void {
    if ((this as WithExchange)[EXCHANGE] !== undefined) overload.leave();
    closeExchange.call(this);
  };
  const shed = overload === undefined ? undefined : createShedResponder(overload.retryAfter, opts.tls);
  return (req: IncomingMessage, res: ServerResponse): void => {
    // Shedding is decided before anything is built for the request: to refuse two of three
    // arrivals and still serve the third, a refusal must cost a fraction of a served request (ADR 0032).
    if (shed !== undefined && overload!.enter()) {
      shed(req, res, current());
      return;
    }
    const x: Exchange = {
      id: acceptOrCreateRequestId(req.headers['x-request-id']),
      startedAt: process.hrtime.bigint(),
      req,
      res,
      rt: current(),
      tls: opts.tls,
      path: req.url ?? '',
      client: undefined,
      target: undefined,
      ctx: undefined,
      upstreamS: undefined,
      bytesIn: 0,
      bytesOut: 0,
      decision: 'allowed',
      code: undefined,
      stage: undefined,
      bodyUnread: hasBody(req),
      onClose: undefined,
    };
    bindExchange(x);
    // The only 'close' listener of the exchange (a response closes once): one shared function
    // finding its exchange on the response, rather than a closure and a once-wrapper per request.
    (res as WithExchange)[EXCHANGE] = x;
    res.on('close', onResponseClose);
    try {
      handle(x);
    } catch (err) {
      fail(x, err);
    }
  };
}

const EXCHANGE = Symbol('portcullis.responseExchange');
type WithExchange = ServerResponse & { [EXCHANGE]?: Exchange };

/** Publishes the exchange, then lets its upstream call stop (the client went away). */
function closeExchange(this: ServerResponse): void {
  const x = (this as WithExchange)[EXCHANGE];
  if (x === undefined) return;
  (this as WithExchange)[EXCHANGE] = undefined;
  endExchange(x);
  x.onClose?.clientClosed();
  x.spooled?.dispose();
}

function fail(x: Exchange, err: unknown): void {
  sendProblem(x, err).catch(() => x.res.destroy());
}

/**
 * Routes a request and builds its context synchronously; only a plan with request stages
 * goes async. A pass-through request thus costs no promise before it is forwarded.
 */
function handle(x: Exchange): void {
  const { req, rt } = x;
  const method = req.method ?? 'GET';
  const bad = checkRequestHead(req);
  if (bad !== undefined) throw bad;
  const { path, query } = normalizePath(req.url ?? '');
  x.path = query === '' ? path : `${path}?${query}`;
  trackRequest(x.id, method, eventPath(x.path));
  let client = resolveClient({
    peer: req.socket.remoteAddress ?? '',
    peerPort: req.socket.remotePort ?? 0,
    tls: x.tls,
    headers: req.headers,
  }, rt.trusted);
  const certificate = x.tls ? peerCertificateOf(req.socket) : undefined;
  if (certificate !== undefined) client = { ...client, certificate };
  const ja4 = x.tls ? ja4OfSocket(req.socket)?.ja4 : undefined;
  if (ja4 !== undefined) client = { ...client, ja4 };
  x.client = client;

  const { target, params } = route(rt, method, path, req, x.res);
  x.target = target;

  const ctx: RequestContext = {
    id: x.id,
    startedAt: x.startedAt,
    method,
    path,
    query,
    headers: req.headers,
    rawHeaders: req.rawHeaders,
    httpVersion: req.httpVersion,
    client,
    route: { apiName: target.api.name, operationId: target.operationId, pathTemplate: target.template, tags: target.tags, params },
    principal: undefined,
    body: undefined,
    findings: [],
    timings: {},
    responseHeaders: {},
    credentialed: isCredentialed(req),
  };
  x.ctx = ctx;

  const declared = req.headers['content-length'];
  if (declared !== undefined && Number(declared) > target.maxBodySize) throw tooLarge(target.maxBodySize);

  if (target.plan.hasRequestStages) {
    runStages(x, ctx, target);
    return;
  }
  forward(x, ctx, target);
}

/** Runs the request stages: synchronously while they answer synchronously (throws reach the handler's catch). */
function runStages(x: Exchange, ctx: RequestContext, target: RouteTarget): void {
  const req = x.req;
  const readBody = target.plan.needsRequestBody && hasBody(req)
    ? async () => {
        const observers = target.plan.bodyObservers.map((s) => s.observeRequestBody!(ctx)).filter((o) => o !== undefined);
        const read = await readBounded(req, target.maxBodySize, observers, target.plan.spool);
        x.bodyUnread = false;
        if (Buffer.isBuffer(read)) {
          ctx.body = read;
          x.bytesIn = read.length;
          return;
        }
        ctx.spooled = read;
        x.spooled = read;
        x.bytesIn = read.size;
        // The file goes with the response ('close' fires once on every path); a client already gone takes it now.
        if ((x.res as { closed?: boolean }).closed === true) read.dispose();
      }
    : undefined;
  const decision = runRequestPhases(target.plan, ctx, readBody);
  if (decision instanceof Promise) {
    decision.then((d) => afterRequestStages(x, ctx, target, d)).catch((err: unknown) => fail(x, err));
    return;
  }
  afterRequestStages(x, ctx, target, decision)?.catch((err: unknown) => fail(x, err));
}

function afterRequestStages(x: Exchange, ctx: RequestContext, target: RouteTarget, decision: Decision): Promise<void> | undefined {
  if (decision.kind === 'reject') {
    x.stage = decision.error.stage;
    throw decision.error;
  }
  if (decision.kind === 'respond') return sendGenerated(x, decision.status, decision.headers, decision.body);
  forward(x, ctx, target);
  return undefined;
}

function route(rt: Runtime, method: string, path: string, req: IncomingMessage, res?: { setHeader(name: string, value: string): unknown }): { target: RouteTarget; params: Readonly<Record<string, string>> } {
  const { router, vary } = rt.versions.length === 0 ? { router: rt.router, vary: undefined } : selectRouter(rt.versions, rt.router, req.headers, path);
  // Caches must key the response by the version header too.
  if (vary !== undefined) res?.setHeader('vary', vary);
  let match = router.find(method, path);
  if (isPreflight({ method, headers: req.headers })) {
    // A preflight is routed as the request it announces, so that operation's CORS policy answers it.
    const announced = router.find(String(req.headers['access-control-request-method']).toUpperCase(), path);
    if (announced.kind === 'found' && announced.value.plan.stages.some((s) => s.name === 'cors')) match = announced;
  }
  if (match.kind === 'found') {
    return { target: match.value, params: match.params };
  }
  if (match.kind === 'method-not-allowed') {
    throw new GatewayError('PCL_METHOD_NOT_ALLOWED', {
      detail: `${method} is not documented for this path.`,
      headers: { allow: match.allow.join(', ') },
    });
  }
  throw new GatewayError('PCL_ROUTE_NOT_FOUND', { detail: 'No documented operation matches this request.' });
}
