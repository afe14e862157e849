import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { GatewayError, PROBLEM_CONTENT_TYPE, toProblem } from '../errors/index.js';

/** An extra admin endpoint registered by the caller (config view, stats, …). */
export interface AdminRoute {
  /** Upper-case method. A GET route answers HEAD too. */
  method: string;
  /** Exact path, without query (`/config`). */
  path: string;
  /** Also answer paths below `path/` (e.g. `/admin/totp/alice`); exact routes win. */
  prefix?: boolean;
  handler(req: IncomingMessage, res: ServerResponse): void | Promise<void>;
}

/** What the health callback reports. */
export interface HealthReport {
  /** The process works; false only when it should be restarted. */
  live: boolean;
  /** The process should receive traffic; false while starting or draining. */
  ready: boolean;
  detail?: Record<string, unknown>;
}

/** A metrics exposition: body and its content type. */
export interface Exposition {
  contentType: string;
  body: string;
}

/** Inputs of {@link createAdminHandler}. */
export interface AdminHandlerOptions {
  metrics: () => Promise<Exposition>;
  health: () => HealthReport;
  routes?: readonly AdminRoute[];
  /** Called with failures of handlers and metric collection (they answer 500 either way). */
  onError?: (err: unknown) => void;
  /** Answers paths under these prefixes that no route matches (instead of 404): the `--workers` primary forwards them. */
  fallback?: { readonly prefixes: readonly string[]; readonly handle: Handle };
}

type Handle = (req: IncomingMessage, res: ServerResponse) => void | Promise<void>;

const ids = new WeakMap<IncomingMessage, string>();

/**
 * The id of an admin request: the one its `X-Request-Id` header, its problem's `instance` and its
 * audit record carry. Assigned by {@link createAdminHandler}; a request it has not seen gets one here.
 *
 * @example
 * publishAdminAction({ action, ok, peer, requestId: adminRequestId(req) });
 */
export function adminRequestId(req: IncomingMessage): string {
  let id = ids.get(req);
  if (id === undefined) { id = randomUUID(); ids.set(req, id); }
  return id;
}

/**
 * Makes `id` the request's id (a call the `--workers` primary forwarded keeps the primary's id).
 *
 * @example
 * adoptRequestId(req, res, forwardedId);
 */
export function adoptRequestId(req: IncomingMessage, res: ServerResponse, id: string): void {
  ids.set(req, id);
  if (!res.headersSent) res.setHeader('x-request-id', id);
}

/** Writes a JSON body with its length. */
export function sendJson(res: ServerResponse, status: number, body: unknown, contentType = 'application/json'): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': contentType, 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/** Writes a rejection as problem+json, with its extra headers. */
export function sendProblem(res: ServerResponse, err: GatewayError, id: string): void {
  for (const [k, v] of Object.entries(err.headers)) res.setHeader(k, v);
  sendJson(res, err.status, toProblem(err, id), PROBLEM_CONTENT_TYPE);
}

function safeHealth(health: () => HealthReport): HealthReport {
  try {
    return health();
  } catch {
    // A health callback that throws is itself a sign the process is not well.
    return { live: false, ready: false };
  }
}

/**
 * Builds the admin request handler: `GET /metrics`, `GET /healthz`, `GET /readyz` and
 * the extra routes; 404 / 405 as problem+json. Every response carries
 * `X-Content-Type-Options: nosniff` and `Cache-Control: no-store`.
 *
 * @example
 * const handle = createAdminHandler({ metrics: async () => ({ contentType: registry.contentType, body: await registry.metrics() }), health });
 * http.createServer(handle).listen(9901, '127.0.0.1');
 */
export function createAdminHandler(opts: AdminHandlerOptions): (req: IncomingMessage, res: ServerResponse) => void {
  const table = new Map<string, Map<string, Handle>>();
  const add = (method: string, path: string, handle: Handle): void => {
    const byMethod = table.get(path) ?? new Map<string, Handle>();
    const m = method.toUpperCase();
    if (byMethod.has(m)) throw new Error(`admin route ${m} ${path} is registered twice`);
    byMethod.set(m, handle);
    if (m === 'GET' && !byMethod.has('HEAD')) byMethod.set('HEAD', handle);
    table.set(path, byMethod);
  };

  add('GET', '/metrics', async (_req, res) => {
    const { contentType, body } = await opts.metrics();
    res.writeHead(200, { 'content-type': contentType, 'content-length': Buffer.byteLength(body) });
    res.end(body);
  });
  add('GET', '/healthz', (_req, res) => {
    const h = safeHealth(opts.health);
    sendJson(res, h.live ? 200 : 503, { status: h.live ? 'ok' : 'down' });
  });
  add('GET', '/readyz', (_req, res) => {
    const h = safeHealth(opts.health);
    const ready = h.live && h.ready;
    sendJson(res, ready ? 200 : 503, { status: ready ? 'ready' : 'not-ready', ...(h.detail === undefined ? {} : { detail: h.detail }) });
  });
  for (const r of opts.routes ?? []) add(r.method, r.path, (req, res) => r.handler(req, res));
  const prefixes = [...new Set((opts.routes ?? []).filter((r) => r.prefix === true).map((r) => r.path))];

  return (req, res) => {
    const id = adminRequestId(req);
    res.setHeader('x-content-type-options', 'nosniff');
    res.setHeader('cache-control', 'no-store');
    res.setHeader('x-request-id', id);
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = q < 0 ? url : url.slice(0, q);
    const byMethod = table.get(path) ?? table.get(prefixes.find((p) => path.startsWith(`${p}/`)) ?? '');
    if (byMethod === undefined && opts.fallback?.prefixes.some((p) => path === p || path.startsWith(`${p}/`)) === true) {
      const out = opts.fallback.handle(req, res);
      if (out instanceof Promise) out.catch((err: unknown) => { opts.onError?.(err); res.destroy(); });
      return;
    }
    if (byMethod === undefined) {
      sendProblem(res, new GatewayError('PCL_ROUTE_NOT_FOUND'), id);
      return;
    }
    const handle = byMethod.get(req.method ?? '');
    if (handle === undefined) {
      sendProblem(res, new GatewayError('PCL_METHOD_NOT_ALLOWED', { headers: { allow: [...byMethod.keys()].join(', ') } }), id);
      return;
    }
    const fail = (err: unknown): void => {
      opts.onError?.(err);
      if (res.headersSent) res.destroy();
      else sendProblem(res, new GatewayError('PCL_INTERNAL'), id);
    };
    try {
      const out = handle(req, res);
      if (out instanceof Promise) out.catch(fail);
    } catch (err) {
      fail(err);
    }
  };
}
