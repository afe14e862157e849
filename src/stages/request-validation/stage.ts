import type { RequestContext } from '../../pipeline/context.js';
import { CONTINUE, reject, type Decision, type Stage, type StageDeps } from '../../pipeline/stage.js';
import { ajvFor, type ValidateFunction } from '../../openapi/ajv.js';
import { readForm, readMultipart, readXml } from './bodies.js';
import { scanJson } from './json-scan.js';
import { toJsonSchema } from '../../openapi/json-schema.js';
import { bodyKind, matchMediaType, parseMediaType, type BodyKind } from './media-type.js';
import {
  compileParams, isMalformed, paramSchema, parseCookies, parseQuery, readPath, readQuery, readSimple, seg,
  type CompiledParam, type Violation,
} from './params.js';
import type { RequestValidationConfig } from './schema.js';
import { ajvViolations, mediaTypeError, validationError } from './violations.js';
import { publishingRejections } from './event.js';

interface MediaValidator {
  readonly kind: BodyKind;
  readonly validate: ValidateFunction | undefined;
}

const LOCATIONS = ['path', 'query', 'header', 'cookie'] as const;
const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Compiles the request contract of one operation: one coercing validator for all its
 * parameters and one validator per declared request media type, all built here at load.
 *
 * @example
 * const stage = createRequestValidationStage(cfg, { ...deps, operation, openapiVersion: '3.1' });
 */
export function createRequestValidationStage(cfg: RequestValidationConfig, deps: StageDeps): Stage {
  const op = deps.operation;
  if (op === undefined) throw new Error('request-validation needs an API with an OpenAPI document');
  const version = deps.openapiVersion ?? '3.1';
  const docKey = (deps as { openapi?: unknown }).openapi;
  const ajv = ajvFor(typeof docKey === 'object' && docKey !== null ? docKey : op);
  const where = op.operationId ?? `${op.method} ${op.pathTemplate}`;

  const params = compileParams(op.parameters);
  const paramsSchema: Record<string, unknown> = { type: 'object', properties: {} };
  for (const loc of LOCATIONS) {
    const mine = op.parameters.filter((p) => p.in === loc);
    const props: Record<string, unknown> = {};
    for (const p of mine) props[loc === 'header' ? p.name.toLowerCase() : p.name] = toJsonSchema(paramSchema(p), { version, direction: 'parameter', strict: false });
    const required = mine.filter((p) => p.required === true || p.in === 'path').map((p) => (loc === 'header' ? p.name.toLowerCase() : p.name));
    (paramsSchema.properties as Record<string, unknown>)[loc] = { type: 'object', properties: props, required };
  }
  const validateParams = compile(() => ajv.coercing.compile(paramsSchema), `${op.pointer}/parameters`);

  const body = op.requestBody as { required?: boolean; content?: Record<string, { schema?: unknown }> } | undefined;
  const media = new Map<string, MediaValidator>();
  for (const [type, entry] of Object.entries(body?.content ?? {})) {
    const kind = bodyKind(type.split(';')[0]!.trim().toLowerCase());
    if (kind === 'other') { media.set(type, { kind, validate: undefined }); continue; }
    const js = toJsonSchema(entry?.schema, { version, direction: 'request', strict: cfg.strictBodies });
    const instance = kind === 'json' ? ajv.body : ajv.coercing;
    media.set(type, { kind, validate: compile(() => instance.compile(js), `${op.pointer}/requestBody/content/${type}`) });
  }
  const declared = [...media.keys()];

  const checkParams = (ctx: RequestContext, out: Violation[]): void => {
    const values: Record<string, Record<string, unknown>> = { path: {}, query: {}, header: {}, cookie: {} };
    const query = parseQuery(ctx.query, cfg.maxQueryParameters);
    if (query === undefined) out.push({ pointer: '/query', reason: 'malformed or too many query parameters' });
    let cookies: Map<string, string> | undefined;
    for (const p of params) {
      const value = readParam(p, ctx, query, () => (cookies ??= parseCookies(headerValue(ctx, 'cookie'))), cfg, out);
      if (isMalformed(value)) out.push({ pointer: `/${p.in}/${seg(p.name)}`, reason: 'malformed parameter' });
      else if (value !== undefined) values[p.in]![p.in === 'header' ? p.name.toLowerCase() : p.name] = value;
    }
    if (query !== undefined && !cfg.allowUnknownQueryParameters) {
      for (const k of query.keys()) out.push({ pointer: `/query/${seg(k.slice(0, 100))}`, reason: 'is not a declared parameter' });
    }
    if (!validateParams(values)) out.push(...ajvViolations(validateParams.errors, ''));
  };

  const finish = (out: Violation[]): Decision => (out.length === 0 ? CONTINUE : reject(validationError(out)));

  const inspect = (ctx: RequestContext): Decision | Promise<Decision> => {
    const out: Violation[] = [];
    checkParams(ctx, out);
    const raw = ctx.body;
    const present = raw !== undefined ? raw.length > 0 : declaresBody(ctx);
    if (body === undefined) {
      if (present) out.push({ pointer: '/body', reason: 'the operation takes no request body' });
      return finish(out);
    }
    if (!present || raw === undefined) {
      if (body.required === true) out.push({ pointer: '/body', reason: 'is required' });
      return finish(out);
    }
    const ct = headerValue(ctx, 'content-type');
    const mt = ct === undefined ? undefined : parseMediaType(ct);
    const key = mt === undefined ? undefined : matchMediaType(mt, declared);
    if (key === undefined) return reject(mediaTypeError(`content-type ${ct === undefined ? '(none)' : JSON.stringify(ct.slice(0, 100))} not declared by ${where}`));
    const v = media.get(key)!;
    const validate = (value: unknown, base = '/body'): Decision => {
      if (v.validate !== undefined && !v.validate(value)) out.push(...ajvViolations(v.validate.errors, base));
      return finish(out);
    };
    switch (v.kind) {
      case 'json': {
        let text: string;
        try { text = utf8.decode(raw); } catch { out.push({ pointer: '/body', reason: 'invalid UTF-8' }); return finish(out); }
        const problem = scanJson(text, cfg.json);
        if (problem !== undefined) { out.push({ pointer: `/body${problem.pointer}`, reason: problem.reason }); return finish(out); }
        return validate(JSON.parse(text) as unknown);
      }
      case 'form': {
        const form = readForm(raw, cfg.maxQueryParameters);
        if ('pointer' in form && 'reason' in form && typeof form.pointer === 'string') { out.push(form as Violation); return finish(out); }
        return validate(form);
      }
      case 'xml': {
        const r = readXml(raw, cfg.json.maxDepth) as { violation?: Violation; value?: unknown };
        if (r.violation !== undefined) { out.push(r.violation); return finish(out); }
        return validate(r.value);
      }
      case 'multipart':
        return readMultipart(raw, ct!, cfg.multipart).then((r) => {
          if ('pointer' in r) { out.push(r); return finish(out); }
          ctx.uploads = r.files;
          return validate(r.fields);
        });
      default:
        return finish(out);
    }
  };

  return {
    name: 'request-validation',
    order: 500,
    mode: cfg.mode,
    onError: 'fail-closed',
    needsRequestBody: body !== undefined,
    handlers: { inspect: publishingRejections(inspect, cfg.mode === 'enforce') },
  };
}

function readParam(
  p: CompiledParam, ctx: RequestContext, query: Map<string, string[]> | undefined,
  cookies: () => Map<string, string>, cfg: RequestValidationConfig, out: Violation[],
): unknown {
  switch (p.in) {
    case 'path': {
      const raw = ctx.route.params[p.name];
      return raw === undefined ? undefined : readPath(p, raw, cfg.json);
    }
    case 'query':
      return query === undefined ? undefined : readQuery(p, query, cfg.json, out);
    case 'header': {
      const raw = headerValue(ctx, p.name.toLowerCase());
      return raw === undefined ? undefined : readSimple(p, raw, cfg.json);
    }
    case 'cookie': {
      const raw = cookies().get(p.name);
      return raw === undefined ? undefined : readSimple(p, raw, cfg.json);
    }
  }
}

function headerValue(ctx: RequestContext, name: string): string | undefined {
  const v = ctx.headers[name];
  return Array.isArray(v) ? v.join(', ') : v;
}

/** For an operation without a request body the gateway did not buffer one: look at the framing. */
function declaresBody(ctx: RequestContext): boolean {
  const len = ctx.headers['content-length'];
  return (len !== undefined && len !== '0') || ctx.headers['transfer-encoding'] !== undefined;
}

function compile(fn: () => ValidateFunction, what: string): ValidateFunction {
  try {
    return fn();
  } catch (err) {
    throw new Error(`${what}: schema cannot be compiled: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
}
