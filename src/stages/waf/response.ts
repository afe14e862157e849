import type { OutgoingHttpHeaders } from 'node:http';
import type { RequestContext, ResponseContext } from '../../pipeline/context.js';
import type { ResponseInput } from '../../waf/index.js';
import type { WafResponseConfig } from './schema.js';

/**
 * The engine's view of a response for phases 3 and 4: status, the protocol of the
 * request, every header and, when the stage may read it, the body: only for the media
 * types in `mimeTypes` (ModSecurity's SecResponseBodyMimeType) and at most `maxBodyBytes`
 * of it (ModSecurity's SecResponseBodyLimit with ProcessPartial). The body is present
 * only when the pipeline buffered it (inspect: always, or another stage that reads it).
 *
 * @example
 * tx.setResponse(responseInput(ctx, res, cfg.response));
 */
export function responseInput(ctx: RequestContext, res: ResponseContext, cfg: WafResponseConfig): ResponseInput {
  const headers: Array<[string, string]> = [];
  for (const [name, value] of Object.entries(res.headers)) {
    if (value === undefined) continue;
    if (Array.isArray(value)) for (const v of value) headers.push([name, v]);
    else headers.push([name, String(value)]);
  }
  const body = res.body !== undefined && inspectable(res.headers, cfg.mimeTypes) ? res.body.subarray(0, cfg.maxBodyBytes) : undefined;
  return { status: res.status, protocol: `HTTP/${ctx.httpVersion ?? '1.1'}`, headers, ...(body === undefined ? {} : { body }) };
}

/** Whether the response's media type (parameters aside, case-insensitive) is one the rules inspect. */
function inspectable(headers: OutgoingHttpHeaders, mimeTypes: readonly string[]): boolean {
  const ct = headers['content-type'];
  if (typeof ct !== 'string') return false;
  const type = ct.split(';')[0]!.trim().toLowerCase();
  return mimeTypes.some((m) => m.toLowerCase() === type);
}
