import { answerOf } from '../../errors/index.js';
import { publishSecurityEvent } from '../../observability/channels.js';
import { ALWAYS_REDACTED_HEADERS, ALWAYS_REDACTED_QUERY, REDACTED } from '../../observability/logging/redact.js';
import type { RequestContext } from '../../pipeline/context.js';
import type { WafMatch } from '../../waf/index.js';

/** Longest matched-data excerpt an event carries. */
export const MAX_EXCERPT = 120;
const SENSITIVE = new Set([...ALWAYS_REDACTED_HEADERS, ...ALWAYS_REDACTED_QUERY, 'passwd', 'pwd', 'secret', 'otp']);

/**
 * The excerpt of a match for logs and events: the matched variable and what matched,
 * truncated to MAX_EXCERPT characters, control characters escaped, and the whole value
 * replaced by [REDACTED] when the variable is a credential (Authorization, Cookie,
 * password, token...: the last segment of `ARGS:json.user.password` counts).
 *
 * @example
 * matchExcerpt({ variable: 'ARGS:password', data: "' or 1=1" }) // 'ARGS:password: [REDACTED]'
 */
export function matchExcerpt(m: Pick<WafMatch, 'variable' | 'data'>): string {
  const colon = m.variable.indexOf(':');
  const key = colon === -1 ? '' : m.variable.slice(colon + 1).toLowerCase();
  const last = key.slice(Math.max(key.lastIndexOf('.'), key.lastIndexOf('[')) + 1).replace(/\]$/, '');
  const cookie = m.variable.toUpperCase().startsWith('REQUEST_COOKIES');
  const data = cookie || SENSITIVE.has(key) || SENSITIVE.has(last) ? REDACTED : clip(m.data);
  return `${clip(m.variable)}: ${data}`;
}

function clip(s: string): string {
  // Escaping never shortens: the first MAX_EXCERPT + 1 characters decide the excerpt, however long the value (a 128 KiB argument).
  const head = s.length > MAX_EXCERPT + 1 ? s.slice(0, MAX_EXCERPT + 1) : s;
  const safe = head.replace(/[\u0000-\u001f\u007f-\u009f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
  return safe.length > MAX_EXCERPT ? `${safe.slice(0, MAX_EXCERPT)}...` : safe;
}

/**
 * Publishes one security event per match: `waf.block` when the request was refused
 * because of the rule set, else `waf.match` (monitor mode, or a match below the anomaly
 * threshold). `routine` marks matches that neither refused the request nor would have
 * (logged at debug, not warn). Rule ids, messages and tags go to events and logs only,
 * never to the client.
 *
 * @example
 * publishMatches(ctx, matches, { blocked: true, routine: false, api: 'books', operationId: 'getBook' });
 */
export function publishMatches(ctx: RequestContext, matches: readonly WafMatch[], o: { blocked: boolean; routine?: boolean; api: string; operationId: string | undefined }): void {
  for (const m of matches) {
    publishSecurityEvent(() => ({
      kind: o.blocked ? 'waf.block' : 'waf.match',
      reason: clipReason(m),
      requestId: ctx.id,
      api: o.api,
      operationId: o.operationId,
      client: ctx.client.ip,
      // Rules without a severity are the anomaly evaluation (949110) and correlation: the decision itself.
      severity: m.severity === undefined ? (o.blocked ? 'high' : 'medium') : severityOf(m.severity),
      stage: 'waf',
      ruleIds: [String(m.ruleId)],
      excerpt: matchExcerpt(m),
      enforced: o.blocked,
      ...answerOf(o.blocked ? 'PCL_WAF_BLOCKED' : undefined),
      // Matches that neither refused the request nor would have (below the anomaly threshold) are logged at debug.
      ...(o.routine === true ? { routine: true } : {}),
      ...(ctx.principal === undefined ? {} : { principal: ctx.principal.id }),
    }));
  }
}

function clipReason(m: WafMatch): string {
  const tags = m.tags.length === 0 ? '' : ` [${m.tags.join(' ')}]`;
  const r = `${m.msg}${tags}`;
  return r.length > 300 ? `${r.slice(0, 300)}...` : r;
}

function severityOf(s: string | undefined): 'info' | 'low' | 'medium' | 'high' {
  switch ((s ?? '').toUpperCase()) {
    case 'CRITICAL': case 'EMERGENCY': case 'ALERT': case '2': case '1': case '0': return 'high';
    case 'ERROR': case 'WARNING': case '3': case '4': return 'medium';
    case 'NOTICE': case '5': return 'low';
    default: return 'info';
  }
}
