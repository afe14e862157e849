import { responseJson, type RequestContext, type ResponseContext } from '../../pipeline/context.js';

/**
 * The records in a JSON response: the length of the array at `pointer` ('' = the body itself),
 * undefined when there is no such array.
 *
 * @example
 * recordsAt({ items: [1, 2] }, '/items'); // 2
 */
export function recordsAt(value: unknown, pointer: string): number | undefined {
  let v = value;
  for (const raw of pointer === '' ? [] : pointer.split('/').slice(1)) {
    const seg = raw.replaceAll('~1', '/').replaceAll('~0', '~');
    if (v === null || typeof v !== 'object' || !Object.hasOwn(v, seg)) return undefined;
    v = (v as Record<string, unknown>)[seg];
  }
  return Array.isArray(v) ? v.length : undefined;
}

/** What the respond phase measured of a response. */
export interface Measured { bytes: number; records: number | undefined }

/**
 * Bytes and records of a response at the respond phase: from the buffered body when there is
 * one (parsed once, shared with the other stages, ADR 0010), else the declared Content-Length.
 *
 * @example
 * const m = measureResponse(res, '/items');
 */
export function measureResponse(res: ResponseContext, pointer: string | undefined): Measured {
  if (res.body !== undefined) {
    const body = res.body;
    let records: number | undefined;
    if (pointer !== undefined) {
      const parsed = responseJson(res as ResponseContext & { body: Buffer });
      records = parsed.ok ? recordsAt(parsed.value, pointer) : undefined;
    } else if (res.json !== undefined && res.json.body === body && res.json.ok && Array.isArray(res.json.value)) {
      records = res.json.value.length;
    }
    return { bytes: body.length, records };
  }
  return { bytes: declaredLength(res.headers['content-length']), records: undefined };
}

/** The Content-Length header as a number (0 when absent or odd). @example declaredLength('12'); // 12 */
export function declaredLength(v: unknown): number {
  const n = Number(Array.isArray(v) ? v[0] : v);
  return Number.isFinite(n) && n >= 0 ? n : 0;
}

/** `op\0name\0value` for every path parameter: the object ids the request touched. @example objectIds(ctx, 'getOrder'); */
export function objectIds(ctx: RequestContext, op: string): string[] {
  const out: string[] = [];
  for (const [k, v] of Object.entries(ctx.route.params)) out.push(`${op}\0${k}\0${v}`);
  return out;
}
