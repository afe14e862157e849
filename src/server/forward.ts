import type { OutgoingHttpHeaders } from 'node:http';
import type { Dispatcher } from 'undici';
import { GatewayError, isGatewayError } from '../errors/index.js';
import { publishUpstreamError } from '../observability/channels.js';
import type { RequestContext, ResponseContext } from '../pipeline/context.js';
import { runRespondPhase } from '../pipeline/runner.js';
import { buildUpstreamHeaders, filterResponseHeaders } from '../proxy/headers.js';
import { classifyUpstreamError, toGatewayError } from '../proxy/upstream-errors.js';
import type { RouteTarget } from '../runtime/runtime.js';
import { hasBody, limitStream } from './body.js';
import { sendProblem, type Exchange } from './exchange.js';

const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE', 'TRACE']);

/**
 * Forwards a request to its upstream with undici's dispatch API and streams the response
 * back with backpressure (no stream pipeline on the hot path). The respond phase sees the
 * upstream's head before anything is written to the client.
 * Resolves when the exchange is over, whatever happened.
 */
export function forward(x: Exchange, ctx: RequestContext, target: RouteTarget): Promise<void> {
  const upstream = target.api.upstream;
  const { req, res } = x;
  const breaker = upstream.breaker;
  if (breaker !== undefined && !breaker.canRequest()) {
    x.decision = 'upstream-error';
    return sendProblem(x, new GatewayError('PCL_UPSTREAM_CIRCUIT_OPEN', { detail: 'The upstream service is temporarily unavailable.', headers: { 'retry-after': String(Math.max(1, Math.ceil(breaker.msUntilRetry() / 1000))) } }));
  }

  let path = ctx.path;
  if (target.api.stripBasePath && target.api.basePath !== '' && path.startsWith(target.api.basePath)) {
    path = path.slice(target.api.basePath.length) || '/';
  }
  const upstreamPath = upstream.basePath + path + (ctx.query === '' ? '' : `?${ctx.query}`);
  const headers = buildUpstreamHeaders(req.headers, {
    client: ctx.client,
    requestId: x.id,
    upstreamHost: upstream.host,
    trustedPeer: x.rt.trusted.has(ctx.client.peer),
  });

  let body: Dispatcher.DispatchOptions['body'] = null;
  let retriable = IDEMPOTENT.has(ctx.method);
  if (ctx.body !== undefined) {
    body = ctx.body;
    headers['content-length'] = String(ctx.body.length);
    delete headers['transfer-encoding'];
  } else if (hasBody(req)) {
    retriable = false;
    if (req.headers['content-length'] !== undefined) {
      // Node's parser guarantees exactly Content-Length bytes, already checked against the limit.
      body = req;
      x.bytesIn = Number(req.headers['content-length']);
    } else {
      body = limitStream(req, target.maxBodySize, (n) => { x.bytesIn = n; }) as unknown as Dispatcher.DispatchOptions['body'];
    }
    x.bodyUnread = false;
  }

  const started = process.hrtime.bigint();
  let attempt = 0;

  return new Promise<void>((done) => {
    let controller: Dispatcher.DispatchController | undefined;
    let headWritten = false;
    let finished = false;
    const pending: Buffer[] = [];
    const finish = () => { if (!finished) { finished = true; done(); } };

    res.once('close', () => {
      // The client went away: stop the upstream request so its socket is not leaked.
      if (!res.writableFinished && controller !== undefined && !controller.aborted) {
        controller.abort(new Error('client closed the connection'));
      }
      finish();
    });

    const fail = (err: unknown) => {
      if (isGatewayError(err)) {
        // Raised by the gateway itself (the body limit while streaming): not the upstream's fault.
        x.bodyUnread = true;
        void sendProblem(x, err).finally(finish);
        return;
      }
      const kind = controller?.aborted === true && res.destroyed ? 'aborted' : classifyUpstreamError(err);
      if (kind === 'aborted' || res.destroyed) {
        // The client left: neither a success nor a failure of the upstream.
        breaker?.onAbort();
        res.destroy();
        finish();
        return;
      }
      // A request that got no response head may be retried if idempotent and bodiless (RFC 9110 9.2.2);
      // timeouts are not retried, since that would multiply the client's wait.
      if ((kind === 'connect' || kind === 'other') && retriable && attempt < upstream.options.retries && x.upstreamS === undefined) {
        attempt += 1;
        start();
        return;
      }
      breaker?.onFailure();
      x.decision = 'upstream-error';
      const gwErr = toGatewayError(kind);
      publishUpstreamError({ requestId: x.id, api: target.api.name, code: gwErr.code, reason: err instanceof Error ? err.message : String(err) });
      if (headWritten) {
        res.destroy();
        finish();
      } else {
        void sendProblem(x, gwErr).finally(finish);
      }
    };

    const writeHead = (resCtx: ResponseContext) => {
      x.rt.securityHeaders(resCtx.headers, { tls: x.tls, credentialed: ctx.credentialed });
      resCtx.headers['x-request-id'] = x.id;
      if (res.destroyed) return;
      res.writeHead(resCtx.status, resCtx.headers);
      headWritten = true;
      for (const chunk of pending.splice(0)) res.write(chunk);
    };

    const handler: Dispatcher.DispatchHandler = {
      onRequestStart(c) { controller = c; },
      onResponseStart(c, statusCode, rawHeaders) {
        if (statusCode < 200) return;
        x.upstreamS = Number(process.hrtime.bigint() - started) / 1e9;
        breaker?.onSuccess();
        const resCtx: ResponseContext = { status: statusCode, headers: filterResponseHeaders(rawHeaders as Record<string, string | string[] | undefined>) as OutgoingHttpHeaders, body: undefined, generated: false };
        Object.assign(resCtx.headers, ctx.responseHeaders);
        if (target.plan.byPhase.respond.length === 0) {
          // No respond stage: write the head synchronously, no pause and no microtask.
          writeHead(resCtx);
          return;
        }
        c.pause();
        void runRespondPhase(target.plan, ctx, resCtx).then((decision) => {
          if (decision.kind === 'reject') {
            c.abort(decision.error);
            return;
          }
          writeHead(resCtx);
          c.resume();
        }, (err: unknown) => c.abort(err instanceof Error ? err : new Error(String(err))));
      },
      onResponseData(c, chunk) {
        x.bytesOut += chunk.length;
        if (!headWritten) { pending.push(chunk); return; }
        if (!res.write(chunk)) {
          c.pause();
          res.once('drain', () => c.resume());
        }
      },
      onResponseEnd() {
        if (!headWritten) return; // aborted by the respond phase; onResponseError follows
        res.end();
        finish();
      },
      onResponseError(_c, err) {
        fail(err);
      },
    };

    const start = () => {
      upstream.dispatch({ path: upstreamPath, method: ctx.method as Dispatcher.HttpMethod, headers, body, idempotent: retriable }, handler);
    };
    start();
  });
}
