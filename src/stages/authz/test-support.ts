import { join } from 'node:path';
import { Value } from '@sinclair/typebox/value';
import { loadOpenApi, type OperationInfo } from '../../openapi/index.js';
import type { Principal, RequestContext, ResponseContext } from '../../pipeline/context.js';
import type { Stage } from '../../pipeline/stage.js';
import { MemoryStore } from '../../store/index.js';
import { findPackageRoot } from '../../util/package-root.js';
import { AuthzSchema, type AuthzConfig } from './schema.js';
import { createAuthzStage } from './stage.js';

/** The multi-tenant example's OpenAPI document, which the unit tests share with the e2e test. */
export const EXAMPLE_DOC = join(findPackageRoot(import.meta.url), 'examples', 'multi-tenant', 'openapi.yaml');

let ops: readonly OperationInfo[] | undefined;

/** Builds an authz stage for one operation of the example document (defaults filled as the loader does). */
export async function authzStage(operationId: string, config: Partial<AuthzConfig>): Promise<Stage> {
  ops ??= (await loadOpenApi(EXAMPLE_DOC)).operations;
  const operation = ops.find((o) => o.operationId === operationId);
  if (operation === undefined) throw new Error(`no operation ${operationId}`);
  const cfg = Value.Default(AuthzSchema, structuredClone(config)) as AuthzConfig;
  return createAuthzStage(cfg, { apiName: 'notes', operationId, baseDir: '.', store: new MemoryStore({ maxKeys: 1 }), operation, openapiVersion: '3.1' });
}

/** A request context for `principal` calling an operation with these path params. */
export function authzCtx(principal: Partial<Principal> | undefined, opts: { params?: Record<string, string>; operationId?: string; tags?: string[]; method?: string; body?: unknown; query?: string } = {}): RequestContext {
  const p: Principal | undefined = principal === undefined ? undefined : { id: 'u1', kind: 'jwt', scopes: [], roles: [], claims: {}, ...principal };
  const body = opts.body === undefined ? undefined : Buffer.from(JSON.stringify(opts.body));
  return {
    id: 'r1', startedAt: 0n, method: opts.method ?? 'GET', path: '/', query: opts.query ?? '',
    headers: body === undefined ? {} : { 'content-type': 'application/json', 'content-length': String(body.length) },
    client: { ip: '192.0.2.1', peer: '192.0.2.1', port: 1, tls: false, proto: 'http', host: 'x' },
    route: { apiName: 'notes', operationId: opts.operationId, pathTemplate: '/', tags: opts.tags ?? [], params: opts.params ?? {} },
    principal: p, body, findings: [], timings: {}, responseHeaders: {}, credentialed: p !== undefined,
  };
}

/** An upstream JSON response. */
export function jsonResponse(status: number, body: unknown, headers: Record<string, string> = {}): ResponseContext {
  const buf = Buffer.from(typeof body === 'string' ? body : JSON.stringify(body));
  return { status, headers: { 'content-type': 'application/json', 'content-length': String(buf.length), ...headers }, body: buf, generated: false };
}
