import type { CelInput } from '@bufbuild/cel';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import type { Principal, RequestContext, ResponseContext } from '../../pipeline/context.js';

const ANONYMOUS = Object.freeze({ id: '', kind: 'anonymous', roles: [], scopes: [], claims: {}, authenticated: false });

/**
 * The `principal` CEL variable: id, kind, roles, scopes, claims and `authenticated`.
 * An anonymous caller is `{ id: '', roles: [], ..., authenticated: false }`, never null,
 * so `principal.id == request.params.userId` is simply false for it.
 *
 * @example
 * principalVar(ctx.principal).roles; // ['user']
 */
export function principalVar(p: Principal | undefined): CelInput {
  if (p === undefined) return ANONYMOUS as unknown as CelInput;
  return { id: p.id, kind: p.kind, roles: p.roles, scopes: p.scopes, claims: p.claims, authenticated: true } as unknown as CelInput;
}

/**
 * The `request` CEL variable. Costly fields (query, headers, body, time) are getters,
 * computed on first use and kept, so an expression pays only for what it reads.
 *
 * @example
 * requestVar(ctx).params.userId;
 */
export function requestVar(ctx: RequestContext): CelInput {
  let query: Record<string, string> | undefined;
  let headers: Record<string, string> | undefined;
  let body: unknown;
  let bodyRead = false;
  let time: unknown;
  return {
    method: ctx.method,
    path: ctx.path,
    operationId: ctx.route.operationId ?? '',
    tags: ctx.route.tags,
    params: ctx.route.params,
    ip: ctx.client.ip,
    get query() { return (query ??= parseQuery(ctx.query)); },
    get headers() { return (headers ??= flatHeaders(ctx.headers)); },
    get body() {
      if (!bodyRead) { bodyRead = true; body = jsonBody(ctx.headers['content-type'], ctx.body); }
      return body;
    },
    get time() { return (time ??= timestampFromDate(new Date())); },
  } as unknown as CelInput;
}

/**
 * The `response` CEL variable: status, headers and the parsed JSON body.
 *
 * @example
 * responseVar(res, parsed).body.ownerId;
 */
export function responseVar(res: ResponseContext, body: unknown): CelInput {
  let headers: Record<string, string> | undefined;
  return {
    status: res.status,
    get headers() { return (headers ??= flatHeaders(res.headers)); },
    body,
  } as unknown as CelInput;
}

/** First value of each query parameter (a repeated parameter is validated elsewhere). */
function parseQuery(raw: string): Record<string, string> {
  const out: Record<string, string> = {};
  if (raw === '') return out;
  for (const [k, v] of new URLSearchParams(raw)) if (!Object.hasOwn(out, k)) defineOwn(out, k, v);
  return out;
}

function flatHeaders(h: Readonly<Record<string, string | string[] | number | undefined>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(h)) {
    if (v === undefined) continue;
    defineOwn(out, k.toLowerCase(), Array.isArray(v) ? v.join(', ') : String(v));
  }
  return out;
}

/** The request body as JSON, or null when absent, not JSON or unparsable (then rules comparing it fail). */
function jsonBody(contentType: string | undefined, raw: Buffer | undefined): unknown {
  if (raw === undefined || raw.length === 0 || contentType === undefined) return null;
  const essence = contentType.split(';')[0]!.trim().toLowerCase();
  if (essence !== 'application/json' && !essence.endsWith('+json')) return null;
  try {
    return JSON.parse(raw.toString('utf8')) as unknown;
  } catch {
    return null;
  }
}

// A "__proto__" query or header name stays an own property instead of changing the prototype.
function defineOwn(o: Record<string, string>, k: string, v: string): void {
  Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
}
