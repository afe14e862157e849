import type { RequestContext } from '../../../../pipeline/context.js';
import { serializeBare, serializeInnerList, serializeParams, type InnerList, type Item } from './structured-fields.js';

/**
 * The value of one covered component for this request, or undefined when the request does not
 * have it (then the signature cannot verify). Component parameters other than `name` on
 * `@query-param` are not supported and yield undefined (fail closed).
 *
 * `@path` and `@target-uri` use the gateway's normalised path (what routing used): a signer
 * that sent an unnormalised path (dot segments, needless %-escapes) will not verify.
 */
export function componentValue(ctx: RequestContext, item: Item): string | undefined {
  if (typeof item.value !== 'string') return undefined;
  const name = item.value;
  const params = [...item.params.keys()];
  if (name === '@query-param') {
    const n = item.params.get('name');
    if (typeof n !== 'string' || params.length !== 1) return undefined;
    const values = new URLSearchParams(ctx.query).getAll(n);
    // Repeated parameters are ambiguous to sign; refuse.
    if (values.length !== 1) return undefined;
    return encodeURIComponent(values[0]!);
  }
  if (params.length > 0) return undefined;
  const query = ctx.query === '' ? '' : `?${ctx.query}`;
  switch (name) {
    case '@method': return ctx.method.toUpperCase();
    case '@authority': return ctx.client.host.toLowerCase();
    case '@scheme': return ctx.client.proto;
    case '@path': return ctx.path;
    case '@query': return query === '' ? '?' : query;
    case '@request-target': return `${ctx.path}${query}`;
    case '@target-uri': return `${ctx.client.proto}://${ctx.client.host.toLowerCase()}${ctx.path}${query}`;
    default: break;
  }
  if (name.startsWith('@') || name !== name.toLowerCase()) return undefined;
  const v = ctx.headers[name];
  if (v === undefined) return undefined;
  const values = Array.isArray(v) ? v : [v];
  return values.map((s) => s.trim()).join(', ');
}

/**
 * Builds the RFC 9421 signature base (section 2.5) for one signature, or undefined when a
 * component is missing, unsupported or repeated.
 *
 * @example
 * signatureBase(ctx, parsed.get('sig1') as InnerList);
 */
export function signatureBase(ctx: RequestContext, input: InnerList): string | undefined {
  const lines: string[] = [];
  const seen = new Set<string>();
  for (const item of input.items) {
    const id = serializeBare(item.value) + serializeParams(item.params);
    if (seen.has(id)) return undefined;
    seen.add(id);
    const value = componentValue(ctx, item);
    if (value === undefined || /[\r\n]/.test(value)) return undefined;
    lines.push(`${id}: ${value}`);
  }
  lines.push(`"@signature-params": ${serializeInnerList(input)}`);
  return lines.join('\n');
}
