import { isSensitiveName } from '../../common/heuristics.js';
import { ok, responseSchema, type ScanContext } from '../context.js';
import { SCAN_RULES } from '../rules.js';

type Schema = Record<string, unknown>;

function isSchema(v: unknown): v is Schema {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Properties of `value` the schema does not declare, as paths (`password_hash`, `items[].ssn`). */
export function undeclared(value: unknown, schema: unknown, at = '', depth = 0): string[] {
  if (!isSchema(schema) || depth > 16) return [];
  if (Array.isArray(value)) {
    const seen = new Set<string>();
    for (const item of value.slice(0, 50)) for (const p of undeclared(item, schema.items, `${at}[]`, depth + 1)) seen.add(p);
    return [...seen];
  }
  if (!isSchema(value)) return [];
  const parts = [schema, ...(['allOf', 'anyOf', 'oneOf'] as const).flatMap((k) => (Array.isArray(schema[k]) ? (schema[k] as unknown[]).filter(isSchema) : []))];
  const declared: Record<string, unknown> = Object.assign({}, ...parts.map((p) => (isSchema(p.properties) ? p.properties : {})));
  const open = parts.some((p) => isSchema(p.additionalProperties) || isSchema(p.patternProperties));
  if (Object.keys(declared).length === 0 && !parts.some((p) => p.additionalProperties === false)) return [];
  const out: string[] = [];
  for (const [k, v] of Object.entries(value)) {
    const path = at === '' ? k : `${at}.${k}`;
    if (k in declared) out.push(...undeclared(v, declared[k], path, depth + 1));
    else if (!open) out.push(path);
  }
  return out;
}

/** Excessive data exposure: 2xx JSON answers seen during the scan, compared with the declared response schema. */
export async function exposure(ctx: ScanContext): Promise<void> {
  ctx.onProgress('exposure');
  for (const { op, req, res } of ctx.observations) {
    if (!ok(res) || res.json === undefined) continue;
    // The mass-assignment probe's own property is that check's finding, not an exposure.
    const extra = undeclared(res.json, responseSchema(op, res.status)).filter((p) => !p.endsWith('pclScanUndeclared'));
    if (extra.length === 0) continue;
    const sensitive = extra.some((p) => isSensitiveName(p.split(/[.[\]]+/).filter(Boolean).at(-1) ?? ''));
    ctx.report(SCAN_RULES.exposure, op, `${op.method} ${op.pathTemplate} returned properties its schema does not declare: ${extra.join(', ')}.`, req, { undeclared: extra }, sensitive ? 'high' : undefined);
  }
  await Promise.resolve();
}

/** Missing rate limit: a bounded burst at one read that answered 2xx; no 429 in it is a finding. */
export async function rateLimit(ctx: ScanContext): Promise<void> {
  ctx.onProgress('rate-limit');
  const seen = ctx.observations.find((o) => o.op.method === 'GET' && ok(o.res));
  if (seen === undefined || ctx.settings.burst <= 0) return;
  const statuses: Record<number, number> = {};
  let limited = false;
  for (let sent = 0; sent < ctx.settings.burst && !limited; sent += 10) {
    const batch = await Promise.all(Array.from({ length: Math.min(10, ctx.settings.burst - sent) }, () => ctx.client.send(seen.req)));
    for (const r of batch) {
      statuses[r.status] = (statuses[r.status] ?? 0) + 1;
      if (r.status === 429) limited = true;
    }
  }
  if (!limited) {
    ctx.report(SCAN_RULES.rateLimit, seen.op, `${ctx.settings.burst} requests to ${seen.op.method} ${seen.op.pathTemplate} in a burst got no 429.`, seen.req, { burst: ctx.settings.burst, statuses });
  }
}
