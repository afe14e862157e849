import type { OutgoingHttpHeaders } from 'node:http';
import { GatewayError } from '../../errors/index.js';
import type { RequestContext, ResponseContext } from '../../pipeline/context.js';
import { CONTINUE, type Decision, type Stage } from '../../pipeline/stage.js';
import type { CorsConfig } from './schema.js';

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/**
 * Compiles a CORS policy. An origin is only ever echoed back when it is on the exact
 * allow-list; "*" is sent literally (never reflected) and never with credentials.
 *
 * @example
 * const stage = createCorsStage({ mode: 'enforce', allowOrigins: ['https://app.example'], ... });
 */
export function createCorsStage(cfg: CorsConfig): Stage {
  const anyOrigin = cfg.allowOrigins.includes('*');
  const origins = new Set(cfg.allowOrigins.filter((o) => o !== '*').map((o) => o.toLowerCase()));
  const methods = new Set(cfg.allowMethods.map((m) => m.toUpperCase()));
  const headers = new Set(cfg.allowHeaders.map((h) => h.toLowerCase()));
  const allowMethods = [...methods].join(', ');
  const allowHeaders = [...headers].join(', ');
  const expose = cfg.exposeHeaders.join(', ');
  const credentials = cfg.allowCredentials && !anyOrigin;

  const allowedOrigin = (origin: string | undefined): string | undefined => {
    if (origin === undefined) return undefined;
    if (origins.has(origin.toLowerCase())) return origin;
    return anyOrigin ? '*' : undefined;
  };

  const preflight = (ctx: RequestContext): Decision => {
    const origin = allowedOrigin(ctx.headers.origin);
    const method = String(ctx.headers['access-control-request-method']).toUpperCase();
    const requested = String(ctx.headers['access-control-request-headers'] ?? '')
      .split(',').map((h) => h.trim().toLowerCase()).filter((h) => h !== '');
    const ok = origin !== undefined && methods.has(method) && requested.every((h) => TOKEN.test(h) && headers.has(h));
    if (!ok) {
      return { kind: 'reject', error: new GatewayError('PCL_CORS_REJECTED', { detail: 'The CORS preflight request is not allowed by the API policy.', stage: 'cors' }) };
    }
    const out: Record<string, string> = {
      'access-control-allow-origin': origin,
      'access-control-allow-methods': allowMethods,
      'access-control-max-age': String(cfg.maxAgeSeconds),
      vary: 'Origin, Access-Control-Request-Method, Access-Control-Request-Headers',
    };
    if (allowHeaders !== '') out['access-control-allow-headers'] = allowHeaders;
    if (credentials) out['access-control-allow-credentials'] = 'true';
    return { kind: 'respond', status: 204, headers: out };
  };

  const respond = (ctx: RequestContext, res: ResponseContext): Decision => {
    stripCors(res.headers);
    const origin = allowedOrigin(ctx.headers.origin);
    if (origin !== undefined) {
      res.headers['access-control-allow-origin'] = origin;
      if (credentials) res.headers['access-control-allow-credentials'] = 'true';
      if (expose !== '') res.headers['access-control-expose-headers'] = expose;
    }
    if (origin !== '*') appendVary(res.headers, 'Origin');
    return CONTINUE;
  };

  return {
    name: 'cors',
    order: 100,
    mode: cfg.mode,
    onError: 'fail-closed',
    handlers: {
      'pre-auth': (ctx) => (isPreflight(ctx) ? preflight(ctx) : CONTINUE),
      respond,
    },
  };
}

/** A CORS preflight: OPTIONS with Origin and Access-Control-Request-Method. */
export function isPreflight(ctx: { method: string; headers: RequestContext['headers'] }): boolean {
  return ctx.method === 'OPTIONS' && ctx.headers.origin !== undefined && ctx.headers['access-control-request-method'] !== undefined;
}

function stripCors(headers: OutgoingHttpHeaders): void {
  for (const name of Object.keys(headers)) {
    if (name.startsWith('access-control-')) delete headers[name];
  }
}

function appendVary(headers: OutgoingHttpHeaders, value: string): void {
  const current = headers.vary;
  if (current === undefined) { headers.vary = value; return; }
  const list = String(current);
  if (!list.toLowerCase().split(',').map((s) => s.trim()).includes(value.toLowerCase())) headers.vary = `${list}, ${value}`;
}
