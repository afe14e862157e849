import { answerOf, GatewayError } from '../../errors/index.js';
import { publishSecurityEvent } from '../../observability/channels.js';
import { spliceJson, type SpliceRules } from '../../data-protection/json-splice.js';
import { compileScanner, type DetectorSet, type Hit, type MaskStyle, type Scanner } from '../../data-protection/scanner.js';
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

/**
 * The text the raw-text pass should read so that it finds every detector a decoded string can hit,
 * or undefined when none can stand for them. `\n`, `\t`, `\r`, `\b` and `\f` leave a letter in the
 * raw text where the decoded string has a control character (`\nAKIA…` has no word boundary before
 * the key): they are read as two spaces, which no built-in pattern takes into a value (card and IBAN
 * separators are single). `\"`, `\\` and `\/` show non-word characters as the decoded string does.
 * `\u0034` can be any character, and a custom pattern can match whatever an escape changes: then
 * every detector runs on every decoded string.
 */
function textToScan(text: string, custom: boolean): string | undefined {
  if (!text.includes('\\')) return text;
  if (custom || text.includes('\\u')) return undefined;
  return text.replace(/\\[\\"/nrtbf]/g, (e) => (e === '\\\\' || e === '\\"' || e === '\\/' ? e : '  '));
}

/** What one response walk found and did. */
interface Walk { hits: Record<string, number>; exemptHits: number; fields: number; readonly roles: readonly string[]; readonly exempt: boolean; only: DetectorSet | undefined; readonly fieldRules: boolean }

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
  const quotedFields = [...fields.keys()].map((k) => JSON.stringify(k));
  const fieldLengths: ReadonlySet<number> = new Set([...fields.keys()].map((k) => k.length));
  const noLengths: ReadonlySet<number> = new Set();
  const exemptRoles = new Set(cfg.exemptRoles);
  const style: MaskStyle = cfg.style;
  const enforce = cfg.mode === 'enforce';

  // Counts go straight into the walk's record: no object per string, and an unchanged string is returned as is.
  const maskString = (s: string, w: Walk): string => {
    if (!w.exempt) return scanner.mask(s, style, w.hits, w.only);
    w.exemptHits += scanner.count(s, w.only);
    return s;
  };

  /** Masks a JSON text where it stands (see spliceJson); undefined when the text is not JSON. */
  const splice = (text: string, hits: readonly Hit[], w: Walk): string | undefined => {
    const rules: SpliceRules = {
      keyLengths: w.fieldRules && !w.exempt ? fieldLengths : noLengths,
      action: (name) => {
        const rule = fields.get(name);
        if (rule === undefined || w.roles.some((r) => rule.roles.has(r))) return undefined;
        w.fields += 1;
        return rule.action;
      },
      replace: (hit) => {
        if (w.exempt) { w.exemptHits += 1; return ''; }
        w.hits[hit.detector] = (w.hits[hit.detector] ?? 0) + 1;
        return scanner.maskHit(text, hit, style);
      },
    };
    const out = spliceJson(text, hits, rules, MAX_DEPTH);
    if (out === undefined) { w.hits = {}; w.exemptHits = 0; w.fields = 0; }
    return out;
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
      const rule = w.fieldRules ? fields.get(k) : undefined;
      let y: unknown;
      if (rule !== undefined && !w.exempt && !w.roles.some((r) => rule.roles.has(r))) {
        w.fields += 1;
        if (rule.action === 'remove') { out ??= copyUpTo(src, keys, i); continue; }
        y = x === null ? null : '[REDACTED]';
      } else if (typeof x === 'string') {
        y = maskString(x, w);
      } else if (x === null || typeof x !== 'object') {
        y = x;
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
    const event = (kind: string, reason: string, severity: 'low' | 'medium' | 'high', excerpt?: string, answer?: 'PCL_DATA_LEAK_BLOCKED') => publishSecurityEvent(() => ({
      kind, reason, severity, requestId: ctx.id, api: ctx.route.apiName, operationId: ctx.route.operationId, client: ctx.client.ip,
      ...(ctx.principal === undefined ? {} : { principal: ctx.principal.id }), stage: 'sensitive-data', enforced: enforce, ...(excerpt === undefined ? {} : { excerpt }),
      ...answerOf(answer, enforce),
    }));
    if (res.body === undefined) {
      if (res.oversize === true) event('data.uninspected', 'too_large', 'medium');
      return CONTINUE;
    }
    const enc = res.headers['content-encoding'];
    if (enc !== undefined && enc !== 'identity') { event('data.uninspected', 'encoded', 'medium'); return CONTINUE; }
    const roles = ctx.principal?.roles ?? [];
    const text = res.body.toString('utf8');
    // One pass over the raw text finds which detectors hit at all; most responses carry nothing,
    // and then the body is neither parsed nor rewritten. Only those detectors run on the decoded
    // strings (see textToScan for escapes). Field names are looked for the same way.
    const escapes = text.includes('\\');
    const scanned = json ? textToScan(text, cfg.custom.length > 0) : text;
    const only = scanned === undefined ? undefined : scanner.found(scanned);
    const fieldRules = json && fields.size > 0 && (escapes || quotedFields.some((k) => text.includes(k)));
    if (only !== undefined && only.names.length === 0 && !fieldRules) return CONTINUE;
    const w: Walk = { hits: {}, exemptHits: 0, fields: 0, roles, exempt: roles.some((r) => exemptRoles.has(r)), only, fieldRules };
    const cached = res.json !== undefined && res.json.body === res.body;
    // Without escapes a raw JSON string is the string it decodes to: the hits of the raw text are
    // masked where they stand, and nothing is parsed or re-serialised (ADR 0023). A parse an earlier
    // stage made is walked instead, as it is the value that stage saw.
    const spliced = json && !escapes && !cached && only !== undefined && only.local ? splice(text, scanner.scan(text, only), w) : undefined;
    // The parse shared with authz and response-filter (ADR 0010): walk() builds a new value and
    // never edits it, so the next stage can still read it.
    const parsed = json && spliced === undefined ? responseJson(res as ResponseContext & { body: Buffer }, text) : undefined;
    const walked = parsed?.ok === true ? { value: walk(parsed.value, w, 0) } : undefined;
    // Not JSON after all: masked as text, where an escape is not one (every detector, if the raw pass read escapes).
    if (walked === undefined && scanned !== text) w.only = undefined;
    const masked = spliced ?? (walked === undefined ? maskString(text, w) : undefined);
    // Counts by detector only: the values themselves never reach an event or a log.
    const counts = Object.entries(w.hits);
    const summary = counts.map(([k, v]) => `${k}:${v}`).join(' ');
    const total = counts.reduce((sum, [, v]) => sum + v, w.exemptHits);
    if (total > cfg.leakGuard.maxHits) {
      const block = cfg.leakGuard.action === 'block';
      // When it blocks, this is the refusal's event and carries the answer.
      event('data.leak', 'bulk_sensitive_data', 'high', `${total} sensitive values (${summary || 'exempt caller'})`, block ? 'PCL_DATA_LEAK_BLOCKED' : undefined);
      if (block) {
        return reject(new GatewayError('PCL_DATA_LEAK_BLOCKED', { detail: 'The response was withheld by the data protection policy.', stage: 'sensitive-data', internal: `${total} detected values` }));
      }
    }
    if (total === 0 && w.fields === 0) return CONTINUE;
    if (total > 0 || w.fields > 0) event('data.masked', 'masked', 'low', `${summary}${w.fields > 0 ? ` fields:${w.fields}` : ''}`.trim());
    if (!enforce || w.exempt) return CONTINUE;
    if (walked !== undefined) {
      replaceResponseJson(res, walked.value);
      return CONTINUE;
    }
    if (masked === text) return CONTINUE;
    const body = Buffer.from(masked!);
    res.body = body;
    res.headers['content-length'] = String(body.length);
    return CONTINUE;
  };

  return { name: 'sensitive-data', order: 850, mode: cfg.mode, onError: 'fail-closed', needsResponseBody: true, maxResponseBodySize: cfg.maxBodySize, handlers: { respond } };
}
