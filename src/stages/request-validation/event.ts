import { publishSecurityEvent } from '../../observability/channels.js';
import type { RequestContext } from '../../pipeline/context.js';
import type { Decision } from '../../pipeline/stage.js';

/** The bounded reason codes of `validation.failed`: where the first violation was. */
export const VALIDATION_REASONS = ['media_type', 'path', 'query', 'header', 'cookie', 'body', 'other'] as const;

function reasonOf(decision: Extract<Decision, { kind: 'reject' }>): (typeof VALIDATION_REASONS)[number] {
  if (decision.error.code === 'PCL_UNSUPPORTED_MEDIA_TYPE') return 'media_type';
  const first = (decision.error.extensions['errors'] as { pointer?: string }[] | undefined)?.[0]?.pointer ?? '';
  const where = /^\/([a-z]+)/.exec(first)?.[1];
  return (VALIDATION_REASONS as readonly string[]).includes(where ?? '') ? (where as (typeof VALIDATION_REASONS)[number]) : 'other';
}

/**
 * Wraps the stage's inspect handler so that every rejection is also published as a
 * `validation.failed` security event. The excerpt holds the violation pointers and schema
 * messages only (never input values), cut to 200 characters.
 *
 * @example
 * handlers: { inspect: publishingRejections(inspect, cfg.mode === 'enforce') }
 */
export function publishingRejections(inspect: (ctx: RequestContext) => Decision | Promise<Decision>, enforced: boolean): (ctx: RequestContext) => Decision | Promise<Decision> {
  const publish = (ctx: RequestContext, d: Decision): Decision => {
    if (d.kind !== 'reject') return d;
    publishSecurityEvent(() => ({
      kind: 'validation.failed', reason: reasonOf(d), requestId: ctx.id, api: ctx.route.apiName, operationId: ctx.route.operationId,
      client: ctx.client.ip, ...(ctx.principal !== undefined ? { principal: ctx.principal.id } : {}),
      severity: 'low', stage: 'request-validation', excerpt: (d.error.internal ?? '').slice(0, 200), enforced,
      ...(enforced ? { status: d.error.status, code: d.error.code } : {}),
    }));
    return d;
  };
  return (ctx) => {
    const d = inspect(ctx);
    return d instanceof Promise ? d.then((x) => publish(ctx, x)) : publish(ctx, d);
  };
}
