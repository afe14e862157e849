import { GatewayError } from '../../errors/index.js';
import { publishSecurityEvent } from '../../observability/channels.js';
import { compileScanner, type MaskStyle, type Scanner } from '../../data-protection/scanner.js';
import { replaceResponseJson, responseJson, type RequestContext, type ResponseContext } from '../../pipeline/context.js';
import { CONTINUE, reject, type Decision, type Stage } from '../../pipeline/stage.js';
import type { SensitiveDataConfig } from './schema.js';

interface FieldRule { readonly action: 'mask' | 'remove'; readonly roles: ReadonlySet<string> }

/** A new object with the first `n` properties of `src` (in `keys` order). */
function copyUpTo(src: Record<string, unknown>, keys: readonly string[], n: number): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (let i = 0; i < n; i++) out[keys[i]!] = src[keys[i]!];
  return out;
}

/** What one response walk found and did. */
interface Walk { hits: Record<string, number>; total: number; fields: number; readonly roles: readonly string[]; readonly exempt: boolean; readonly only: ReadonlySet<string> | undefined }

const MAX_DEPTH = 64;

/**
 * Masks what must not leave in clear: every string of a JSON (or text) response is scanned by the
 * configured detectors and detected values are masked; named fields are masked or removed whatever
 * they contain unless the caller has one of the field's roles; a response carrying more detected
 * values than `leakGuard.maxHits` is blocked (bulk exfiltration) or reported. Runs after
 * response-filter, so undeclared properties are already gone.
 */
export function createSensitiveDataStage(cfg: SensitiveDataConfig): Stage {
  const scanner: Scanner = compileScanner(cfg.detectors, cfg.custom);
  const fields = new Map<string, FieldRule>(cfg.fields.map((f) => [f.property, { action: f.action, roles: new Set(f.roles) }]));
  const exemptRoles = new Set(cfg.exemptRoles);
  const style: MaskStyle = cfg.style;
  const enforce = cfg.mode === 'enforce';

  const maskString = (s: string, w: Walk): string => {
    if (w.exempt) {
      const n = scanner.scan(s, w.only).length;
      w.total += n;
      return s;
    }
    const before = w.total;
    const counts: Record<string, number> = {};
    const out = scanner.mask(s, style, counts, w.only);
    for (const [k, v] of Object.entries(counts)) { w.hits[k] = (w.hits[k] ?? 0) + v; w.total += v; }
    return w.total === before ? s : out;
  };

  // Copy on write: a container is copied only when something under it changes, so the shared
  // parse is never edited and a response with one masked value allocates one path, not a tree.
  const walk = (v: unknown, w: Walk, depth: number): unknown => {
    if (typeof v === 'string') return maskString(v, w);
    if (v === null || typeof v !== 'object' || depth > MAX_DEPTH) return v;
    if (Array.isArray(v)) {
      let copy: unknown[] | undefined;
      for (let i = 0; i < v.length; i++) {
        const x = walk(v[i], w, depth + 1);
        if (x !== v[i]) (copy ??= v.slice())[i] = x;
      }
      return copy ?? v;
    }
    const src = v as Record<string, unknown>;
    let out: Record<string, unknown> | undefined;
    const keys = Object.keys(src);
    for (let i = 0; i < keys.length; i++) {
      const k = keys[i]!;
      const x = src[k];
      const rule = fields.get(k);
      let y: unknown;
      if (rule !== undefined && !w.exempt && !w.roles.some((r) => rule.roles.has(r))) {
        w.fields += 1;
        if (rule.action === 'remove') { out ??= copyUpTo(src, keys, i); continue; }
        y = x === null ? null : '[REDACTED]';
      } else {
        y = walk(x, w, depth + 1);
      }
      if (out !== undefined) out[k] = y;
      else if (y !== x) { out = copyUpTo(src, keys, i); out[k] = y; }
    }
    return out ?? v;
  };

  const respond = (ctx: RequestContext, res: ResponseContext): Decision => {
    if (res.generated) return CONTINUE;
    const ct = res.headers['content-type'];
    const essence = typeof ct === 'string' ? ct.split(';')[0]!.trim().toLowerCase() : '';
    const json = essence === 'application/json' || essence.endsWith('+json');
    if (!json && !essence.startsWith('text/')) return CONTINUE;
    const event = (kind: string, reason: string, severity: 'low' | 'medium' | 'high', excerpt?: string) => publishSecurityEvent(() => ({
      kind, reason, severity, requestId: ctx.id, api: ctx.route.apiName, operationId: ctx.route.operationId, client: ctx.client.ip,
      ...(ctx.principal === undefined ? {} : { principal: ctx.principal.id }), stage: 'sensitive-data', enforced: enforce, ...(excerpt === undefined ? {} : { excerpt }),
    }));
    if (res.body === undefined) {
      if (res.oversize === true) event('data.uninspected', 'too_large', 'medium');
      return CONTINUE;
    }
    const enc = res.headers['content-encoding'];
    if (enc !== undefined && enc !== 'identity') { event('data.uninspected', 'encoded', 'medium'); return CONTINUE; }
    const roles = ctx.principal?.roles ?? [];
    const text = res.body.toString('utf8');
    // One pass over the raw text finds which detectors can hit at all; most responses carry nothing,
    // and then the body is neither parsed nor rewritten. JSON \u escapes could hide a value from the
    // raw text, so a body with escapes gets every detector on every decoded string.
    let only: ReadonlySet<string> | undefined;
    if (!text.includes('\\u')) {
      only = new Set(scanner.scan(text).map((h) => h.detector));
      if (only.size === 0 && (fields.size === 0 || !json || ![...fields.keys()].some((k) => text.includes(`"${k}"`)))) return CONTINUE;
    }
    const w: Walk = { hits: {}, total: 0, fields: 0, roles, exempt: roles.some((r) => exemptRoles.has(r)), only };
    // The parse shared with authz and response-filter (ADR 0010): walk() builds a new value and
    // never edits it, so the next stage can still read it.
    const parsed = json ? responseJson(res as ResponseContext & { body: Buffer }) : undefined;
    const walked = parsed?.ok === true ? { value: walk(parsed.value, w, 0) } : undefined;
    const masked = walked === undefined ? maskString(text, w) : undefined;
    // Counts by detector only: the values themselves never reach an event or a log.
    const summary = Object.entries(w.hits).map(([k, v]) => `${k}:${v}`).join(' ');
    if (w.total > cfg.leakGuard.maxHits) {
      event('data.leak', 'bulk_sensitive_data', 'high', `${w.total} sensitive values (${summary || 'exempt caller'})`);
      if (cfg.leakGuard.action === 'block') {
        return reject(new GatewayError('PCL_DATA_LEAK_BLOCKED', { detail: 'The response was withheld by the data protection policy.', stage: 'sensitive-data', internal: `${w.total} detected values` }));
      }
    }
    if (w.total === 0 && w.fields === 0) return CONTINUE;
    if (w.total > 0 || w.fields > 0) event('data.masked', 'masked', 'low', `${summary}${w.fields > 0 ? ` fields:${w.fields}` : ''}`.trim());
    if (!enforce || w.exempt) return CONTINUE;
    if (walked !== undefined) {
      replaceResponseJson(res, walked.value);
      return CONTINUE;
    }
    const body = Buffer.from(masked!);
    res.body = body;
    res.headers['content-length'] = String(body.length);
    return CONTINUE;
  };

  return { name: 'sensitive-data', order: 850, mode: cfg.mode, onError: 'fail-closed', needsResponseBody: true, maxResponseBodySize: cfg.maxBodySize, handlers: { respond } };
}
