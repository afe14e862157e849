import { GatewayError } from '../../errors/index.js';
import { replaceResponseJson, responseJson, type RequestContext, type ResponseContext } from '../../pipeline/context.js';
import { CONTINUE, reject, type Decision, type Stage, type StageDeps } from '../../pipeline/stage.js';
// Shared OpenAPI → JSON Schema machinery; to move to src/openapi/ (see docs/reference/validation.md).
import { ajvFor, type ValidateFunction } from '../../openapi/ajv.js';
import { toJsonSchema } from '../../openapi/json-schema.js';
import { buildViews, filterValue, needsFiltering, type FilterReport, type SchemaView } from './filter.js';
import type { ResponseFilterConfig } from './schema.js';

interface CompiledMedia {
  readonly essence: string;
  readonly json: boolean;
  readonly schema: unknown;
  readonly validate: ValidateFunction | undefined;
}

const isJson = (essence: string): boolean => essence === 'application/json' || essence.endsWith('+json');

/**
 * Compiles the response contract of one operation: per declared status (exact, `2XX`,
 * `default`) and media type, an Ajv validator and filter views, all at load.
 *
 * @example
 * const stage = createResponseFilterStage(cfg, { ...deps, operation, openapiVersion: '3.0' });
 */
export function createResponseFilterStage(cfg: ResponseFilterConfig, deps: StageDeps): Stage {
  const op = deps.operation;
  if (op === undefined) throw new Error('response-filter needs an API with an OpenAPI document');
  const version = deps.openapiVersion ?? '3.1';
  const docKey = (deps as { openapi?: unknown }).openapi;
  const ajv = ajvFor(typeof docKey === 'object' && docKey !== null ? docKey : op);
  const views = new Map<object, SchemaView>();
  const byName = new Map(Object.entries(cfg.visibleTo));
  const responses = new Map<string, CompiledMedia[]>();
  for (const [status, r] of Object.entries((op.responses ?? {}) as Record<string, { content?: Record<string, { schema?: unknown }> }>)) {
    const list: CompiledMedia[] = [];
    for (const [type, entry] of Object.entries(r?.content ?? {})) {
      const essence = type.split(';')[0]!.trim().toLowerCase();
      const json = isJson(essence);
      let validate: ValidateFunction | undefined;
      if (json && entry?.schema !== undefined) {
        try {
          validate = ajv.body.compile(toJsonSchema(entry.schema, { version, direction: 'response', strict: false }));
        } catch (err) {
          throw new Error(`${op.pointer}/responses/${status}: schema cannot be compiled: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
        }
        buildViews(entry.schema, cfg.visibilityExtension, views, byName);
      }
      list.push({ essence, json, schema: entry?.schema, validate });
    }
    responses.set(status.toUpperCase(), list);
  }
  const action = cfg.mode === 'monitor' ? 'report' : cfg.action;

  const violation = (ctx: RequestContext, what: string, blockIt: boolean): Decision => {
    // A rejection is recorded by the runner; only a report needs its own finding.
    if (!blockIt) {
      ctx.findings.push({ stage: 'response-filter', code: 'PCL_RESPONSE_CONTRACT_VIOLATION', message: what, enforced: false });
      return CONTINUE;
    }
    return reject(new GatewayError('PCL_RESPONSE_CONTRACT_VIOLATION', { detail: 'The upstream response does not match the API contract.', stage: 'response-filter', internal: what }));
  };

  const respond = (ctx: RequestContext, res: ResponseContext): Decision => {
    if (res.generated) return CONTINUE;
    const declared = responses.get(String(res.status)) ?? responses.get(`${String(res.status)[0]}XX`) ?? responses.get('DEFAULT');
    if (declared === undefined) return violation(ctx, `undeclared status ${res.status}`, action !== 'report');
    const ct = res.headers['content-type'];
    const essence = typeof ct === 'string' ? ct.split(';')[0]!.trim().toLowerCase() : undefined;
    if (declared.length === 0) {
      return res.body !== undefined && res.body.length > 0 ? violation(ctx, `status ${res.status} declares no body`, action !== 'report') : CONTINUE;
    }
    const media = declared.find((m) => m.essence === essence) ?? declared.find((m) => essence !== undefined && m.essence === `${essence.split('/')[0]}/*`) ?? declared.find((m) => m.essence === '*/*');
    if (media === undefined) return violation(ctx, `undeclared content type for status ${res.status}`, action !== 'report');
    if (!media.json) return CONTINUE;
    if (res.body === undefined) {
      // Not buffered because it is larger than maxBodySize: it cannot be filtered.
      return res.oversize === true ? violation(ctx, 'response body too large to inspect', cfg.oversize === 'block' && action !== 'report') : CONTINUE;
    }
    const enc = res.headers['content-encoding'];
    if (enc !== undefined && enc !== 'identity') return violation(ctx, 'encoded response body cannot be inspected', action === 'block');
    // Parsed once for every stage that reads it (authz ownership checks parse it first).
    const parsed = responseJson(res as ResponseContext & { body: Buffer });
    if (!parsed.ok) return violation(ctx, 'response body is not valid JSON', action === 'block');
    const data = parsed.value;
    const schemaOk = media.validate === undefined || media.validate(data);
    const report: FilterReport = { undeclared: 0, writeOnly: 0, hidden: 0, tooDeep: false };
    const roles = ctx.principal?.roles ?? [];
    // A clean body (the usual case) is only walked, not copied: with nothing to find, the report stays empty and the body as it is.
    const filtered = needsFiltering(data, media.schema, views, roles) ? filterValue(data, media.schema, views, { roles, apply: action === 'filter', hide: action !== 'report' }, report) : data;
    const exposed = report.undeclared + report.writeOnly;
    if (action === 'block' && (!schemaOk || exposed > 0 || report.tooDeep)) {
      return violation(ctx, `schema ${schemaOk ? 'ok' : 'invalid'}, ${report.undeclared} undeclared, ${report.writeOnly} writeOnly properties`, true);
    }
    if (!schemaOk || exposed > 0 || report.hidden > 0) {
      ctx.findings.push({ stage: 'response-filter', code: 'PCL_RESPONSE_CONTRACT_VIOLATION', message: `schema ${schemaOk ? 'ok' : 'invalid'}, ${report.undeclared} undeclared, ${report.writeOnly} writeOnly, ${report.hidden} role-hidden properties`, enforced: action !== 'report' });
    }
    if (action !== 'report' && (exposed > 0 || report.hidden > 0)) replaceResponseJson(res, filtered);
    return CONTINUE;
  };

  return {
    name: 'response-filter',
    order: 800,
    mode: cfg.mode,
    onError: 'fail-closed',
    needsResponseBody: true,
    maxResponseBodySize: cfg.maxBodySize,
    handlers: { respond },
  };
}
