import { answerOf, GatewayError } from '../../errors/index.js';
import { publishLifecycleUse, publishSecurityEvent } from '../../observability/channels.js';
import type { OperationInfo } from '../../openapi/types.js';
import { CONTINUE, reject, type Decision, type Stage } from '../../pipeline/stage.js';
import type { RequestContext } from '../../pipeline/context.js';
import type { LifecycleConfig } from './schema.js';

/** The dates and links of one API or operation, resolved at load. */
export interface LifecyclePlan {
  /** Epoch ms, or undefined when no date is known. */
  readonly deprecatedAt: number | undefined;
  readonly sunsetAt: number | undefined;
  /** Epoch ms from which requests get 410 (sunsetAt + grace). */
  readonly goneAt: number | undefined;
  /** The response headers, built once: Deprecation, Sunset, Link. */
  readonly headers: Readonly<Record<string, string>>;
}

/** Parses an ISO date (midnight UTC) or date-time; throws with the field name on nonsense such as 2027-02-31. */
export function parseInstant(value: string, field: string): number {
  const iso = /^\d{4}-\d{2}-\d{2}$/.test(value) ? `${value}T00:00:00Z` : value;
  const ms = Date.parse(iso);
  // Date.parse rolls 2027-02-31 over to March: compare the date part back.
  if (Number.isNaN(ms) || (iso.endsWith('Z') && new Date(ms).toISOString().slice(0, 10) !== iso.slice(0, 10))) {
    throw new Error(`${field}: "${value}" is not a valid date`);
  }
  return ms;
}

function extensionDate(op: OperationInfo | undefined, key: string): string | undefined {
  const v = op?.extensions[key];
  return typeof v === 'string' ? v : undefined;
}

/**
 * Resolves dates and headers from the config and the OpenAPI operation. The operation's own
 * `x-deprecated-at` / `x-sunset` win over the config (which may be API-wide). RFC 9745 requires a
 * date in `Deprecation`: an operation marked `deprecated: true` without one sends no Deprecation
 * field (only Link/Sunset when configured) and is reported by `lifecycleWarnings`.
 *
 * @example
 * compileLifecycle({ mode: 'enforce', graceSeconds: 0, sunsetAt: '2027-01-31' }, undefined).headers.Sunset;
 * // 'Sun, 31 Jan 2027 00:00:00 GMT'
 */
export function compileLifecycle(config: LifecycleConfig, op: OperationInfo | undefined): LifecyclePlan {
  const depText = extensionDate(op, 'x-deprecated-at') ?? config.deprecatedAt;
  const sunsetText = extensionDate(op, 'x-sunset') ?? config.sunsetAt;
  const deprecatedAt = depText === undefined ? undefined : parseInstant(depText, op?.extensions['x-deprecated-at'] !== undefined ? 'x-deprecated-at' : 'deprecatedAt');
  const sunsetAt = sunsetText === undefined ? undefined : parseInstant(sunsetText, op?.extensions['x-sunset'] !== undefined ? 'x-sunset' : 'sunsetAt');
  if (deprecatedAt !== undefined && sunsetAt !== undefined && sunsetAt < deprecatedAt) {
    throw new Error('sunsetAt is before deprecatedAt: an API cannot be removed before it is deprecated (RFC 9745 §3)');
  }
  const headers: Record<string, string> = {};
  if (deprecatedAt !== undefined) headers['deprecation'] = `@${Math.floor(deprecatedAt / 1000)}`;
  if (sunsetAt !== undefined) headers['sunset'] = new Date(sunsetAt).toUTCString();
  const links: string[] = [];
  if (config.link !== undefined) links.push(`<${config.link}>; rel="deprecation"; type="text/html"`);
  if (config.sunsetLink !== undefined) links.push(`<${config.sunsetLink}>; rel="sunset"; type="text/html"`);
  if (links.length > 0) headers['link'] = links.join(', ');
  return Object.freeze({
    deprecatedAt, sunsetAt, goneAt: sunsetAt === undefined ? undefined : sunsetAt + config.graceSeconds * 1000, headers: Object.freeze(headers),
  });
}

/**
 * The lifecycle stage: announces deprecation and sunset on every response of the API/operation
 * (also on error responses, through `ctx.responseHeaders`), answers 410 `PCL_GONE` once the sunset
 * (plus grace) has passed, and publishes every call so owners know who still depends on it.
 * Retirement is decided in `pre-auth`: a retired operation is gone for everyone, credentials or not.
 */
export function createLifecycleStage(config: LifecycleConfig, op: OperationInfo | undefined, now: () => number = Date.now): Stage {
  const plan = compileLifecycle(config, op);
  const entries = Object.entries(plan.headers);
  const deprecatedFlag = op?.deprecated === true;
  const state = (t: number): 'deprecated' | 'sunset' | 'retired' | undefined => {
    if (plan.goneAt !== undefined && t >= plan.goneAt) return 'retired';
    if (plan.sunsetAt !== undefined && t >= plan.sunsetAt) return 'sunset';
    if (deprecatedFlag || (plan.deprecatedAt !== undefined && t >= plan.deprecatedAt) || plan.sunsetAt !== undefined) return 'deprecated';
    return undefined;
  };
  const preAuth = (ctx: RequestContext): Decision => {
    for (const [k, v] of entries) ctx.responseHeaders[k] = v;
    if (plan.goneAt === undefined || now() < plan.goneAt) return CONTINUE;
    publishSecurityEvent(() => ({
      kind: 'lifecycle.gone', reason: 'retired', requestId: ctx.id, api: ctx.route.apiName, operationId: ctx.route.operationId,
      client: ctx.client.ip, severity: 'low', stage: 'lifecycle', enforced: config.mode === 'enforce', ...answerOf('PCL_GONE', config.mode === 'enforce'),
    }));
    return reject(new GatewayError('PCL_GONE', {
      detail: `This ${ctx.route.operationId === undefined ? 'API' : 'operation'} was retired on ${new Date(plan.sunsetAt!).toUTCString()}.`,
      stage: 'lifecycle', internal: 'sunset passed',
    }));
  };
  return {
    name: 'lifecycle',
    order: 50,
    mode: config.mode,
    onError: 'fail-closed',
    handlers: {
      'pre-auth': preAuth,
      record: (ctx) => {
        const s = state(now());
        if (s === undefined) return;
        publishLifecycleUse({ api: ctx.route.apiName, operationId: ctx.route.operationId, client: ctx.principal?.id ?? ctx.client.ip, state: s });
      },
    },
  };
}

/** Load-time advice for an operation marked deprecated without a date (RFC 9745 needs one). */
export function lifecycleWarnings(config: LifecycleConfig, op: OperationInfo | undefined): string[] {
  if (op?.deprecated !== true || config.deprecatedAt !== undefined || extensionDate(op, 'x-deprecated-at') !== undefined) return [];
  return [`${op.operationId ?? `${op.method} ${op.pathTemplate}`} is deprecated in the OpenAPI document but has no date: add x-deprecated-at to the operation (or stages.lifecycle.deprecatedAt) so clients get a Deprecation header`];
}
