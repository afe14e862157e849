import { join } from 'node:path';
import { Value } from '@sinclair/typebox/value';
import { loadOpenApi } from '../src/openapi/index.js';
import type { RequestContext, ResponseContext } from '../src/pipeline/context.js';
import type { Stage, StageDeps } from '../src/pipeline/stage.js';
import { AuthzSchema, createAuthzStage, type AuthzConfig } from '../src/stages/authz/index.js';
import { createRequestValidationStage, RequestValidationSchema, type RequestValidationConfig } from '../src/stages/request-validation/index.js';
import { createResponseFilterStage, ResponseFilterSchema, type ResponseFilterConfig } from '../src/stages/response-filter/index.js';
import { MemoryStore } from '../src/store/index.js';
import { median, percentile } from './report.js';

/** The authz policy both the micro and the load benchmark use: request rules over params, method and headers, a response ownership check. */
export const BENCH_AUTHZ: Partial<AuthzConfig> = {
  rules: [
    { id: 'no-blocked-clients', effect: 'deny', when: "'x-block' in request.headers" },
    { id: 'tenant-writers', effect: 'allow', when: "request.params.tenantId == 'acme' && request.method == 'POST'" },
  ],
  responseRules: [{ id: 'same-item', when: 'response.body.id == request.params.itemId', action: 'block' }],
};

/** A JSON body of about 1 KB that the bench document accepts. */
export function benchBody(): string {
  const body = {
    name: 'Benchmark item with a reasonably descriptive name',
    description: 'x'.repeat(520),
    price: 1999,
    currency: 'EUR',
    tags: ['bench', 'authz', 'validation', 'json', 'one-kilobyte'],
    dimensions: { width: 12.5, height: 3.25, depth: 40, unit: 'cm' },
    attributes: [{ key: 'color', value: 'blue' }, { key: 'material', value: 'recycled aluminium' }, { key: 'origin', value: 'EU' }, { key: 'batch', value: '2026-11-27-0042' }],
  };
  return JSON.stringify(body);
}

/** Medians and p99 of the per-request cost, in µs. */
export interface MicroResult {
  readonly requestMedianUs: number;
  readonly requestP99Us: number;
  readonly responseMedianUs: number;
  readonly bodyBytes: number;
  readonly iterations: number;
}

/**
 * Times, per request and in-process, what the protected route adds on the hot path:
 * request validation (inspect) + authorization (authorize), and separately the response
 * side (ownership check + response filtering) over the fixed upstream's body.
 *
 * @example
 * const r = await microBench(root, 20_000, fixedBody);
 */
export async function microBench(root: string, iterations: number, upstreamBody: Buffer): Promise<MicroResult> {
  const doc = await loadOpenApi(join(root, 'bench', 'fixtures', 'authz-openapi.yaml'));
  const operation = doc.operations.find((o) => o.operationId === 'updateItem')!;
  const deps: StageDeps = { apiName: 'bench', operationId: 'updateItem', baseDir: root, store: new MemoryStore({ maxKeys: 1 }), operation, openapiVersion: doc.version };
  const validation = createRequestValidationStage(Value.Default(RequestValidationSchema, {}) as RequestValidationConfig, deps);
  const authz = createAuthzStage(Value.Default(AuthzSchema, structuredClone(BENCH_AUTHZ)) as AuthzConfig, deps);
  const filter = createResponseFilterStage(Value.Default(ResponseFilterSchema, {}) as ResponseFilterConfig, deps);
  const body = Buffer.from(benchBody());
  const reqTimes = new Float64Array(iterations);
  const resTimes = new Float64Array(iterations);
  for (let i = 0; i < iterations; i++) {
    const ctx = context(body);
    const t0 = process.hrtime.bigint();
    await run(validation, 'inspect', ctx);
    await run(authz, 'authorize', ctx);
    const t1 = process.hrtime.bigint();
    const res: ResponseContext = { status: 200, headers: { 'content-type': 'application/json', 'content-length': String(upstreamBody.length) }, body: upstreamBody, generated: false };
    await respond(authz, ctx, res);
    await respond(filter, ctx, res);
    const t2 = process.hrtime.bigint();
    reqTimes[i] = Number(t1 - t0) / 1_000;
    resTimes[i] = Number(t2 - t1) / 1_000;
  }
  // The first tenth is warm-up (JIT, caches): left out.
  const skip = Math.floor(iterations / 10);
  const req = Array.from(reqTimes.subarray(skip));
  const sortedReq = Float64Array.from(req).sort();
  return { requestMedianUs: median(req), requestP99Us: percentile(sortedReq, 99), responseMedianUs: median(Array.from(resTimes.subarray(skip))), bodyBytes: body.length, iterations };
}

async function run(stage: Stage, phase: 'inspect' | 'authorize', ctx: RequestContext): Promise<void> {
  const d = await stage.handlers[phase]!(ctx);
  if (d.kind !== 'continue') throw new Error(`${stage.name} refused the bench request: ${d.kind === 'reject' ? d.error.internal ?? d.error.code : d.kind}`);
}

async function respond(stage: Stage, ctx: RequestContext, res: ResponseContext): Promise<void> {
  const d = await stage.handlers.respond!(ctx, res);
  if (d.kind !== 'continue') throw new Error(`${stage.name} refused the bench response: ${d.kind === 'reject' ? d.error.internal ?? d.error.code : d.kind}`);
}

function context(body: Buffer): RequestContext {
  return {
    id: 'bench', startedAt: 0n, method: 'POST', path: '/v1/tenants/acme/items/42', query: '',
    headers: { host: 'bench', 'content-type': 'application/json', 'content-length': String(body.length), 'user-agent': 'bench' },
    client: { ip: '127.0.0.1', peer: '127.0.0.1', port: 1, tls: false, proto: 'http', host: 'bench' },
    route: { apiName: 'bench', operationId: 'updateItem', pathTemplate: '/v1/tenants/{tenantId}/items/{itemId}', tags: ['items'], params: { tenantId: 'acme', itemId: '42' } },
    principal: undefined, body, findings: [], timings: {}, responseHeaders: {}, credentialed: false,
  };
}
