import type { IncomingHttpHeaders } from 'node:http';
import { join } from 'node:path';
import { Value } from '@sinclair/typebox/value';
import { loadOpenApi, type OpenApiDocument } from '../../openapi/index.js';
import type { RequestContext } from '../../pipeline/context.js';
import type { Decision, Stage } from '../../pipeline/stage.js';
import { MemoryStore } from '../../store/index.js';
import { findPackageRoot } from '../../util/package-root.js';
import { RequestValidationSchema, type RequestValidationConfig } from './schema.js';
import { createRequestValidationStage } from './stage.js';

/** Test-only helpers shared by this folder's tests. */
export const fixtures = join(findPackageRoot(import.meta.url), 'test', 'fixtures');

const docs = new Map<string, Promise<OpenApiDocument>>();

/** Loads a fixture document once per test file. */
export function doc(rel: string): Promise<OpenApiDocument> {
  let d = docs.get(rel);
  if (d === undefined) { d = loadOpenApi(join(fixtures, rel)); docs.set(rel, d); }
  return d;
}

/** The config with every default filled, plus overrides. */
export function config(over: Partial<RequestValidationConfig> = {}): RequestValidationConfig {
  return { ...(Value.Default(RequestValidationSchema, {}) as RequestValidationConfig), ...over };
}

/** Builds the stage for one operation of a fixture. */
export async function stageFor(rel: string, operationId: string, over: Partial<RequestValidationConfig> = {}): Promise<Stage> {
  const d = await doc(rel);
  const operation = d.operations.find((o) => o.operationId === operationId);
  if (operation === undefined) throw new Error(`no operation ${operationId}`);
  return createRequestValidationStage(config(over), {
    apiName: 'api', operationId, baseDir: '.', store: new MemoryStore({ maxKeys: 10 }), operation, openapiVersion: d.version,
  });
}

/** A request as the inspect phase sees it. */
export interface Req {
  method?: string;
  query?: string;
  params?: Record<string, string>;
  headers?: IncomingHttpHeaders;
  body?: string | Buffer;
}

/** Builds a request context. */
export function ctx(r: Req = {}): RequestContext {
  const body = typeof r.body === 'string' ? Buffer.from(r.body) : r.body;
  return {
    id: 'r', startedAt: 0n, method: r.method ?? 'GET', path: '/', query: r.query ?? '', headers: r.headers ?? {},
    client: { ip: '127.0.0.1', peer: '127.0.0.1', port: 1, tls: false, proto: 'http', host: 'x' },
    route: { apiName: 'api', operationId: undefined, pathTemplate: '/', tags: [], params: r.params ?? {} },
    principal: undefined, body, findings: [], timings: {}, responseHeaders: {}, credentialed: false,
  };
}

/** Runs the inspect handler. */
export async function run(stage: Stage, r: Req = {}): Promise<Decision> {
  return stage.handlers.inspect!(ctx(r));
}

/** Status, code and violations of a decision ('continue' when it let the request through). */
export function outcome(d: Decision): { status: number; code: string; errors: { pointer: string; reason: string }[] } | 'continue' {
  if (d.kind === 'continue') return 'continue';
  if (d.kind !== 'reject') throw new Error('unexpected respond');
  return { status: d.error.status, code: d.error.code, errors: (d.error.extensions.errors ?? []) as { pointer: string; reason: string }[] };
}
