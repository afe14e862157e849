import { celMap, type CelInput } from '@bufbuild/cel';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import type { Principal, RequestContext, ResponseContext } from '../pipeline/context.js';
import { headerOrderOf } from '../pipeline/header-order.js';

const ANONYMOUS = celMap(new Map<string, unknown>([['id', ''], ['kind', 'anonymous'], ['roles', []], ['scopes', []], ['claims', {}], ['authenticated', false]]) as never);

/**
 * The `principal` CEL variable: id, kind, roles, scopes, claims and `authenticated`.
 * An anonymous caller is `{ id: '', roles: [], ..., authenticated: false }`, never null,
 * so `principal.id == request.params.userId` is simply false for it.
 *
 * @example
 * principalVar(ctx.principal); // a CEL map: principal.roles, principal.claims.tenant, ...
 */
export function principalVar(p: Principal | undefined): CelInput {
  if (p === undefined) return ANONYMOUS;
  return celMap(new Map<string, unknown>([['id', p.id], ['kind', p.kind], ['roles', p.roles], ['scopes', p.scopes], ['claims', p.claims], ['authenticated', true]]) as never);
}

/** Which `request` fields a policy reads: only those are computed per request. */
export type RequestFields = ReadonlySet<string> | 'all';

/**
 * The `request` CEL variable, with only the fields the policy reads: the CEL library turns a
 * plain object into a map of all its entries at once, so costly fields (query, headers, body,
 * time) are computed only when some expression names them.
 *
 * @example
 * requestVar(ctx, new Set(['params', 'method']));
 */
export function requestVar(ctx: RequestContext, fields: RequestFields): CelInput {
  const all = fields === 'all';
  const m = new Map<string, unknown>([['method', ctx.method], ['path', ctx.path], ['params', ctx.route.params], ['ip', ctx.client.ip]]);
  if (all || fields.has('operationId')) m.set('operationId', ctx.route.operationId ?? '');
  if (all || fields.has('tags')) m.set('tags', ctx.route.tags);
  if (all || fields.has('query')) m.set('query', parseQuery(ctx.query));
  // Node already joins repeated request headers (set-cookie aside, which requests do not carry).
  if (all || fields.has('headers')) m.set('headers', new Map(Object.entries(ctx.headers)));
  if (all || fields.has('body')) m.set('body', jsonBody(ctx.headers['content-type'], ctx.body));
  if (all || fields.has('time')) m.set('time', timestampFromDate(new Date()));
  // '' on plain HTTP (or when the hello was not captured), so `request.tls.ja4 in [...]` is simply false.
  if (all || fields.has('tls')) m.set('tls', new Map([['ja4', ctx.client.ja4 ?? '']]));
  if (all || fields.has('headerOrder')) m.set('headerOrder', headerOrderOf(ctx));
  return celMap(m as never);
}

/**
 * The `response` CEL variable: status, headers and the parsed JSON body.
 *
 * @example
 * responseVar(res, parsed); // response.body.ownerId, response.status, response.headers['etag']
 */
export function responseVar(res: ResponseContext, body: unknown): CelInput {
  // Header names are already lower case here; a repeated header (set-cookie) stays a list.
  return celMap(new Map<string, unknown>([['status', res.status], ['headers', new Map(Object.entries(res.headers))], ['body', body]]) as never);
}

/** First value of each query parameter (a repeated parameter is validated elsewhere). A Map, so "__proto__" is just a name. */
function parseQuery(raw: string): Map<string, string> {
  const out = new Map<string, string>();
  if (raw === '') return out;
  for (const [k, v] of new URLSearchParams(raw)) if (!out.has(k)) out.set(k, v);
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
